"""Helpers of the stack checks, which run inside a baked project.

The template's tests render these files into ``<project>/tests/stack/`` and
run them with the project's own tests, so the project's fixtures (its
``toy_project`` above all) and its toy runs are shared.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import torch
from project_docs import PROJECT_ROOT, readme_commands

#: The first bytes of every PNG file.
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def readme_command(start, section='try-it'):
    """The one command of a marked section that starts with ``start``."""
    matches = [c for c in readme_commands(section) if c.startswith(start)]
    assert len(matches) == 1, f'{section} commands starting {start!r}: ' \
        f'{matches}'
    return matches[0]


def option(command, name):
    """The value of option ``name`` in a command line."""
    found = re.search(rf'(?:^| ){re.escape(name)} (\S+)', command)
    assert found, f'no {name} in `{command}`'
    return found[1]


def load(path):
    """A checkpoint the project wrote, loaded as a user who trusts it may."""
    return torch.load(path, map_location='cpu', weights_only=False)


def project_env(with_project=True, **extra):
    """The environment of a shell after ``export PYTHONPATH=$(pwd)``.

    Args:
        with_project (bool): Whether ``PYTHONPATH`` starts with the project;
            False: a shell where that export was left out.
        extra: Variables to set.

    Returns:
        dict: The environment, without what a launcher or Slurm set in
        this one.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(('SLURM_', 'MASTER_', 'TORCHELASTIC_'))
        and k not in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'LOCAL_WORLD_SIZE')
    }
    # Without the project, no sitecustomize.py of a project is reachable.
    paths = [
        p for p in env.get('PYTHONPATH', '').split(os.pathsep)
        if p and not (Path(p) / 'sitecustomize.py').is_file()
    ]
    if with_project:
        paths.insert(0, str(PROJECT_ROOT))
    env['PYTHONPATH'] = os.pathsep.join(paths)
    # The README's ``mim`` and ``python`` are those of this environment.
    env['PATH'] = f'{Path(sys.executable).parent}{os.pathsep}' + \
        env.get('PATH', '')
    env.update(extra)
    return env


def run(args, cwd, env, timeout=600):
    """Run a command; its result, with ``output``: stdout, then stderr.

    Args:
        args (list[str] | str): The command; a string runs with bash.
        cwd (Path): Where to run it.
        env (dict): Its environment.
        timeout (float): Seconds before it is stopped.

    Returns:
        subprocess.CompletedProcess: With ``output`` added.
    """
    if isinstance(args, str):
        args = ['bash', '-c', args]
    result = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout)
    result.output = result.stdout + result.stderr
    return result


def without_fixes(folder, *names):
    """Make a folder that leaves fixes out when it is put before the project.

    It holds a copy of ``upstream_fixes/`` in which the modules ``names``
    apply nothing. With ``PYTHONPATH`` set to the folder, then the project,
    the project's ``sitecustomize.py`` and the configs' ``custom_imports``
    import this copy: the commands run as they would without those fixes.

    Args:
        folder (Path): Where to make it (created).
        names (str): Modules of ``upstream_fixes/``, e.g.
            ``checkpoint_loading``.

    Returns:
        Path: ``folder``.
    """
    package = folder / 'upstream_fixes'
    shutil.copytree(
        PROJECT_ROOT / 'upstream_fixes',
        package,
        ignore=shutil.ignore_patterns('__pycache__'))
    for name in names:
        module = package / f'{name}.py'
        assert module.is_file(), module
        module.write_text('def apply():\n    """Left out."""\n')
    return folder


def mim_in_process(monkeypatch, cwd, args):
    """Run ``mim *args`` in this process, with ``check_call`` recorded.

    Args:
        monkeypatch (pytest.MonkeyPatch): Replaces ``check_call`` and the
            working folder for the test.
        cwd (Path): The folder to run mim in.
        args (list[str]): mim's arguments, e.g. ``['train', ...]``.

    Returns:
        tuple: click's ``Result`` and the ``(command, env)`` of each
        command that mim ran.
    """
    from click.testing import CliRunner
    from mim.cli import cli
    calls = []

    def check_call(command, env=None, **kwargs):
        calls.append((command, env))
        return 0

    monkeypatch.setattr(subprocess, 'check_call', check_call)
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(cli, args), calls


def tracebacks(output):
    """The Python tracebacks in ``output``, each up to its error line."""
    found = []
    for start in re.finditer(r'^Traceback \(most recent call last\):$', output,
                             re.M):
        lines = output[start.start():].splitlines()
        end = next((i for i, line in enumerate(lines[1:], 1)
                    if line and not line[0].isspace()),
                   len(lines) - 1)
        found.append('\n'.join(lines[:end + 1]))
    return found


def last_traceback(output):
    """The last Python traceback in ``output``, up to its error line."""
    found = tracebacks(output)
    assert found, f'no traceback in:\n{output[-3000:]}'
    return found[-1]


def checkpoints(work_dir):
    """The checkpoints in a work dir, in the order a run writes them."""
    found = Path(work_dir).glob('*_*.pth')
    return sorted(found, key=lambda p: int(re.findall(r'\d+', p.stem)[-1]))


def stopped_run(toy_project, task, name):
    """A stopped run of the README's toy training of ``task``.

    Its work dir holds the toy run's next-to-last checkpoint, and
    ``last_checkpoint`` names it, as mmengine leaves a run that was stopped
    after writing it: the toy run is the same command, which went on.

    Args:
        toy_project (ToyProject): The project's fixture.
        task (str): ``cls``, ``det`` or ``seg``.
        name (str): The work dir to make, under ``work_dirs/``.

    Returns:
        tuple[str, Path, Path]: The command that continues the run
        (the README's training with its work dir and ``--resume``), the
        work dir, and the toy run's work dir.
    """
    train = toy_project.commands[task][0]
    toy_project.train(task)
    toy_work_dir = toy_project.path / option(train, '--work-dir')
    work_dir = toy_project.path / 'work_dirs' / name
    assert not work_dir.exists(), work_dir
    work_dir.mkdir(parents=True)
    stop = checkpoints(toy_work_dir)[-2]
    shutil.copy(stop, work_dir / stop.name)
    (work_dir / 'last_checkpoint').write_text(str(work_dir / stop.name))
    command = train.replace(
        option(train, '--work-dir'),
        work_dir.relative_to(toy_project.path).as_posix())
    return f'{command} --resume', work_dir, toy_work_dir
