    def get_stage_depth(self, param_name, prefix=''):
        """Get the stage depth of a parameter, for stage-wise lr decay.

        The rule of ConvNeXt's own stage-wise recipe, which OpenMMLab's
        ConvNeXt segmentation configs (and the one here) use: the stem and
        every downsample layer are layer 0, stage ``i`` is layer ``i + 1``,
        the output norms and everything outside the backbone come last. The
        number of layers is that of :meth:`get_layer_depth`, so the last
        stage sits as far below the head as in the layer-wise rule.

        Args:
            param_name (str): The name of the parameter.
            prefix (str): The prefix of the backbone's parameters in the
                model, e.g. 'backbone.'. Defaults to ''.

        Returns:
            tuple[int, int]: The layer id of the parameter and the number of
            layers.
        """
        _, num_layers = self.get_layer_depth(param_name, prefix)
        names = param_name[len(prefix):].split('.')
        if not param_name.startswith(prefix):
            return num_layers - 1, num_layers
        if names[0] == 'downsample_layers':
            return 0, num_layers
        if names[0] == 'stages':
            return int(names[1]) + 1, num_layers
        return num_layers - 1, num_layers
