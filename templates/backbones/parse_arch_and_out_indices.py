    # A bad argument raises AssertionError, as in OpenMMLab's own backbones:
    # code and tests written for them catch that. Raised explicitly, not
    # with ``assert``, so that ``python -O`` keeps the checks.
    @classmethod
    def parse_arch(cls, arch):
        """Check ``arch`` and turn a preset name into its settings.

        Args:
            arch (str | dict): A key of ``arch_settings`` or a dict with
                ``depths`` and ``channels``.

        Returns:
            dict: The settings, with ``depths`` and ``channels``.
        """
        if isinstance(arch, str):
            if arch not in cls.arch_settings:
                raise AssertionError(
                    f'Unknown arch {arch!r}: choose one of '
                    f'{sorted(cls.arch_settings)} or pass a dict with '
                    '"depths" and "channels".')
            return cls.arch_settings[arch]
        if not isinstance(arch, dict):
            raise AssertionError(
                f'arch must be a str or a dict, got {arch!r}.')
        missing = {'depths', 'channels'} - set(arch)
        if missing:
            raise AssertionError(
                f'The arch dict lacks {sorted(missing)}: it needs "depths" '
                f'and "channels", got {sorted(arch)}.')
        depths, channels = arch['depths'], arch['channels']
        if not (isinstance(depths, Sequence) and isinstance(
                channels, Sequence) and 0 < len(depths) == len(channels)):
            raise AssertionError(
                'arch "depths" and "channels" must be sequences of the same '
                f'non-zero length, got {depths} and {channels}.')
        if not all(
                isinstance(n, int) and n > 0 for n in chain(depths, channels)):
            raise AssertionError(
                'arch "depths" and "channels" must be positive integers, '
                f'got {depths} and {channels}.')
        return arch

    @staticmethod
    def parse_out_indices(out_indices, num_stages):
        """Check ``out_indices`` and make them non-negative.

        Args:
            out_indices (int | Sequence[int]): Stage indices, negative ones
                counting from the end.
            num_stages (int): The number of stages.

        Returns:
            list[int]: The indices in ``[0, num_stages)``, in the given order.
        """
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        if not isinstance(out_indices, Sequence) or isinstance(
                out_indices, str):
            raise AssertionError(
                'out_indices must be an int or a sequence of ints, got '
                f'{out_indices!r}.')
        parsed = []
        for index in out_indices:
            if not (isinstance(index, int)
                    and -num_stages <= index < num_stages):
                raise AssertionError(
                    f'Invalid out_indices {out_indices}: each must be an int '
                    f'in [{-num_stages}, {num_stages}) for {num_stages} '
                    'stages.')
            parsed.append(index % num_stages)
        return parsed

    @staticmethod
    def check_frozen_stages(frozen_stages, num_stages):
        """Check that ``frozen_stages`` is in ``[-1, num_stages]``.

        Args:
            frozen_stages (int): The number of stages to freeze.
            num_stages (int): The number of stages.

        Returns:
            int: ``frozen_stages``.
        """
        if not (isinstance(frozen_stages, int)
                and -1 <= frozen_stages <= num_stages):
            raise AssertionError(
                f'Invalid frozen_stages {frozen_stages!r}: it must be an int '
                f'in [-1, {num_stages}] for {num_stages} stages.')
        return frozen_stages
