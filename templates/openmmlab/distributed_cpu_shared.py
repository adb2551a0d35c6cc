def processes_per_node():
    """How many processes the launcher started on this machine.

    Returns:
        int: ``LOCAL_WORLD_SIZE`` (``torch.distributed.launch``, torchrun),
        else Slurm's tasks per node, else 1.
    """
    for name in ('LOCAL_WORLD_SIZE', 'SLURM_NTASKS_PER_NODE'):
        if os.environ.get(name, '').isdigit():
            return int(os.environ[name])
    # Slurm's own form, e.g. ``8(x2)`` for 8 tasks on each of 2 nodes.
    tasks = os.environ.get('SLURM_TASKS_PER_NODE', '')
    digits = len(tasks) - len(tasks.lstrip('0123456789'))
    return int(tasks[:digits]) if digits else 1


class ProcessesAsDevices:
    """``torch.cuda`` as the process group's start sees it without CUDA.

    Each process of a node stands for one device of it: there are as many
    devices as processes, and selecting one selects nothing.
    """

    @staticmethod
    def device_count():
        """The number of processes on this node."""
        return processes_per_node()

    @staticmethod
    def set_device(device):
        """Nothing to select: the process is the device."""


class _TorchWithProcessesAsDevices:
    """``torch`` itself, but for its ``cuda``."""

    cuda = ProcessesAsDevices

    def __getattr__(self, name):
        return getattr(torch, name)


def with_processes_as_devices(function):
    """Run an upstream function with :class:`ProcessesAsDevices` as its GPUs.

    Args:
        function (callable): A function whose module imports ``torch``
            (e.g. the toolbox's ``_init_dist_pytorch``).

    Returns:
        callable: The same code, which finds :class:`ProcessesAsDevices`
        where it reads ``torch.cuda``; everything else it reads is the same.
    """
    names = dict(function.__globals__, torch=_TorchWithProcessesAsDevices())
    copy = types.FunctionType(function.__code__, names, function.__name__,
                              function.__defaults__, function.__closure__)
    copy.__kwdefaults__ = function.__kwdefaults__
    return functools.wraps(function)(copy)


def sync_batch_norm_on_cpu(forward):
    """Let ``SyncBatchNorm`` train on CPU tensors in a process group.

    Args:
        forward (callable): PyTorch's ``SyncBatchNorm.forward``.

    Returns:
        callable: ``forward``, which for a CPU input in training, with a
        process group of more than one process, normalizes over the batches
        of all of them (:func:`cpu_sync_batch_norm`).
    """

    @functools.wraps(forward)
    def wrapper(self, input):
        if (self.training and input.device.type == 'cpu'
                and dist.is_available() and dist.is_initialized()):
            group = self.process_group or dist.group.WORLD
            if dist.get_world_size(group) > 1:
                return cpu_sync_batch_norm(self, input, group)
        return forward(self, input)

    return wrapper


def sync_batch_norm_check_on_cpu(check):
    """Let ``DistributedDataParallel`` take a CPU model with SyncBN.

    Args:
        check (callable): PyTorch's
            ``DistributedDataParallel._passing_sync_batchnorm_handle``,
            which refuses SyncBN layers in a CPU model.

    Returns:
        callable: The check, which passes CPU models: their SyncBN layers
        train through :func:`cpu_sync_batch_norm`.
    """

    @functools.wraps(check)
    def wrapper(self, module):
        if self.device_type != 'cpu':
            check(self, module)

    return wrapper


def apply_sync_batch_norm_on_cpu():
    """Let SyncBN layers train on CPUs in a process group (once)."""
    if SYNC_BN in APPLIED:
        return
    from torch.nn.parallel import DistributedDataParallel
    record(SYNC_BN, torch.nn.SyncBatchNorm.forward)
    torch.nn.SyncBatchNorm.forward = sync_batch_norm_on_cpu(
        torch.nn.SyncBatchNorm.forward)
    check = DistributedDataParallel._passing_sync_batchnorm_handle
    DistributedDataParallel._passing_sync_batchnorm_handle = \
        sync_batch_norm_check_on_cpu(check)


class _SumOverGroup(torch.autograd.Function):
    """The sum of a tensor over the processes of a group, differentiable.

    The gradient of each process's tensor is the sum of the gradients that
    reach the sum in every process.
    """

    @staticmethod
    def forward(ctx, tensor, group):
        ctx.group = group
        tensor = tensor.clone()
        dist.all_reduce(tensor, group=group)
        return tensor

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad, group=ctx.group)
        return grad, None


def cpu_sync_batch_norm(bn, input, group):
    """Batch normalization with the statistics of every process's batch.

    The sums, the sums of squares and the counts of each channel are
    summed over the group by an all-reduce that also carries the gradients
    back to each process, as PyTorch's CUDA ``SyncBatchNorm`` does.

    Args:
        bn (torch.nn.SyncBatchNorm): The layer, in training mode.
        input (torch.Tensor): This process's batch, ``(N, C, ...)``.
        group (ProcessGroup): The processes that share the statistics.

    Returns:
        torch.Tensor: The normalized batch.
    """
    bn._check_input_dim(input)
    bn._check_non_zero_input_channels(input)
    factor = 0.0 if bn.momentum is None else bn.momentum
    if bn.track_running_stats:
        bn.num_batches_tracked.add_(1)
        if bn.momentum is None:
            factor = 1.0 / float(bn.num_batches_tracked)
    channels = input.size(1)
    dims = [0] + list(range(2, input.dim()))
    count = input.new_full((1, ), input.numel() // channels)
    local = [input.sum(dims), input.pow(2).sum(dims), count]
    sums = _SumOverGroup.apply(torch.cat(local), group)
    total = sums[-1]
    mean = sums[:channels] / total
    var = (sums[channels:2 * channels] / total - mean.pow(2)).clamp(min=0)
    if bn.track_running_stats and bn.running_mean is not None:
        with torch.no_grad():
            unbiased = var * total / (total - 1).clamp(min=1)
            bn.running_mean.mul_(1 - factor).add_(factor * mean)
            bn.running_var.mul_(1 - factor).add_(factor * unbiased)
    shape = [1, channels] + [1] * (input.dim() - 2)
    invstd = torch.rsqrt(var + bn.eps).view(shape)
    output = (input - mean.view(shape)) * invstd
    if bn.affine:
        output = output * bn.weight.view(shape) + bn.bias.view(shape)
    return output
