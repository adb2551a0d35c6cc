"""The README's multi-GPU and Slurm commands, run with 2 CPU processes.

Shared by the stack checks of every OpenMMLab generation. The README's
``--launcher pytorch --gpus 4`` and ``--launcher slurm --gpus 16
--gpus-per-node 8`` lines run here as ``--gpus 2`` (and ``--gpus-per-node
2``): two processes over gloo, which ``upstream_fixes/distributed_cpu.py``
lets the toolboxes start without CUDA. ``CUDA_VISIBLE_DEVICES`` is emptied
so that a machine with GPUs runs the same CPU path.
"""
import math
import os
import re
import shlex
import time
import uuid
from pathlib import Path

from fake_slurm import fake_slurm_variables

#: The processes of each run.
NPROC = 2
#: Where a README variable is not given, a run fails on its name.
PARTITION = 'toy-partition'


def on_cpus(line, **variables):
    """A README line as run here: 2 processes, its variables filled in.

    Args:
        line (str): A README line with ``--launcher pytorch|slurm``.
        variables: ``CONFIG``, ``WORK_DIR``, ``CHECKPOINT``.

    Returns:
        str: The command line.
    """
    line = re.sub(r'--gpus \d+', f'--gpus {NPROC}', line)
    line = re.sub(r'--gpus-per-node \d+', f'--gpus-per-node {NPROC}', line)
    variables.setdefault('PARTITION', PARTITION)
    return re.sub(r'\$([A-Z_]+)', lambda m: shlex.quote(variables[m[1]]), line)


class DistributedRuns:
    """Runs commands in the project's toy copy with 2 CPU processes.

    Each run is marked with a variable of its own in its environment, which
    every process it starts inherits: after the run, no process may still
    have it.

    Args:
        toy_project (ToyProject): The project's fixture.
        folder (Path): An empty folder for the Slurm stand-ins.
    """

    def __init__(self, toy_project, folder):
        self.toy_project = toy_project
        variables, self.srun_log, self.scontrol_log = fake_slurm_variables(
            folder)
        self.slurm_env = variables

    def shell(self, command, slurm=False, cwd=None, timeout=900):
        """Run ``command`` with bash; check that it left no process behind.

        Args:
            command (str): The command line.
            slurm (bool): Whether the Slurm stand-ins are on ``PATH``.
            cwd (Path, optional): Another copy of the project to run in.
            timeout (float): Seconds before the run counts as hung.

        Returns:
            subprocess.CompletedProcess: The run, output in ``stdout``.
        """
        mark = uuid.uuid4().hex
        env = dict(DISTRIBUTED_RUN_MARK=mark, CUDA_VISIBLE_DEVICES='')
        if slurm:
            env.update(self.slurm_env)
        exports = ' '.join(f'{k}={shlex.quote(v)}' for k, v in env.items())
        run = self.toy_project.shell(
            f'export {exports}; {command}', timeout=timeout, cwd=cwd)
        assert_no_process_left(mark, run.stdout)
        return run


def processes_marked(mark):
    """The ids of the processes whose environment holds ``mark``."""
    found = []
    needle = f'DISTRIBUTED_RUN_MARK={mark}'.encode()
    for entry in Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / 'environ').read_bytes()
            state = (entry / 'stat').read_text().rsplit(')', 1)[1].split()[0]
        except OSError:
            continue
        if needle in environ.split(b'\0') and state != 'Z':
            found.append(int(entry.name))
    return found


def assert_no_process_left(mark, output, grace=30):
    """Fail (after ending them) if processes of a run outlive it.

    A process of the run may take a few seconds to notice that its parent
    is gone (data loader workers check every few seconds): those that are
    still there after ``grace`` seconds are left behind.
    """
    deadline = time.monotonic() + grace
    left = processes_marked(mark)
    while left and time.monotonic() < deadline:
        time.sleep(1)
        left = processes_marked(mark)
    for pid in left:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    assert not left, f'processes {left} outlived the run:\n{output[-3000:]}'


def iterations_per_epoch(output):
    """The iterations of an epoch, as the training log prints them."""
    # mmcv: ``Epoch [1][10/12]``; mmengine: ``Epoch(train) [1][10/12]``.
    found = set(
        re.findall(r'Epoch(?:\(train\))? *\[\d+\]\[ *\d+/(\d+)\]', output))
    assert len(found) == 1, f'iterations per epoch: {found}\n{output[-3000:]}'
    return int(found.pop())


def expected_iterations(samples, batch, processes):
    """Iterations per epoch when ``processes`` share ``samples``.

    The distributed sampler deals each process ``ceil(samples /
    processes)`` samples (padding with the first ones), which it batches by
    ``batch``.
    """
    return math.ceil(math.ceil(samples / processes) / batch)


def lines_of(path):
    """The non-empty lines of a text file."""
    return [line for line in Path(path).read_text().splitlines() if line]


#: Two processes (forked, gloo) normalize one batch of 8 with SyncBN in
#: DistributedDataParallel, 4 images each, and compare the output, the
#: gradient of the input and the running statistics with those of BatchNorm
#: over the whole batch; each prints ``SAME`` when they agree. Its
#: arguments: a file for the process group's start, and the module of the
#: stack to import first (whose import applies the project's fixes).
SYNC_BN_CHECK = r'''
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn


def run(rank, init_file):
    dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    torch.manual_seed(0)
    batch = torch.randn(8, 3, 5, 5) * 3 + 1
    whole = batch.clone().requires_grad_()
    bn = nn.BatchNorm2d(3)
    expected = bn(whole)
    (expected * torch.arange(3.).view(1, 3, 1, 1)).pow(2).sum().backward()
    mine = batch[rank * 4:rank * 4 + 4].clone().requires_grad_()
    sync_bn = nn.SyncBatchNorm(3)
    model = nn.parallel.DistributedDataParallel(nn.Sequential(sync_bn))
    out = model(mine)
    (out * torch.arange(3.).view(1, 3, 1, 1)).pow(2).sum().backward()
    part = slice(rank * 4, rank * 4 + 4)
    checks = dict(
        output=torch.allclose(out, expected[part], atol=1e-5),
        grad=torch.allclose(mine.grad, whole.grad[part], atol=1e-4),
        mean=torch.allclose(sync_bn.running_mean, bn.running_mean, atol=1e-5),
        var=torch.allclose(sync_bn.running_var, bn.running_var, atol=1e-4))
    same = all(checks.values())
    if not same:
        print(checks, flush=True)
    print(f'rank {rank}: ' + ('SAME' if same else 'DIFFERENT'), flush=True)


if __name__ == '__main__':
    __import__(sys.argv[2])
    mp.start_processes(run, args=(sys.argv[1], ), nprocs=2,
                       start_method='fork')
'''
