"""Stand-ins for Slurm's ``srun`` and ``scontrol``, first on ``PATH``.

They let the ``--launcher slurm`` commands run on a machine without Slurm:
``srun`` logs its arguments and runs the command as the tasks of a job,
as local processes with the variables Slurm gives each task; ``scontrol``
names the node (this machine).
"""
import json
import os
import sys

FAKE_SRUN = '''#!@PYTHON@
"""A stand-in for Slurm's srun.

Records its arguments (one JSON list a line in $FAKE_SRUN_LOG); with
FAKE_SRUN_RUN=1 it then runs the command as the tasks of a job on this
machine: --ntasks local processes (--ntasks-per-node of them on each
"node", all of them this machine), each with the environment Slurm gives
its task. It ends with the first non-zero exit status of a task, after
ending the other tasks with --kill-on-bad-exit=1, as srun does; SIGTERM
and SIGINT reach every task.
"""
import json
import os
import signal
import subprocess
import sys
import time

argv = sys.argv
with open(os.environ['FAKE_SRUN_LOG'], 'a') as log:
    log.write(json.dumps(argv) + '\\n')
if os.environ.get('FAKE_SRUN_RUN') != '1':
    sys.exit(0)

TAKES_VALUE = ('-p', '--partition', '-J', '--job-name', '-n', '--ntasks',
               '-N', '--nodes', '-c', '--cpus-per-task', '-t', '--time',
               '-w', '--nodelist', '-x', '--exclude', '--gres', '--mem',
               '-q', '--qos', '-A', '--account', '--ntasks-per-node',
               '-K', '--kill-on-bad-exit')
options = dict()
i = 1
while i < len(argv) and argv[i].startswith('-'):
    name, has_value, value = argv[i].partition('=')
    if not has_value and name in TAKES_VALUE:
        i += 1
        value = argv[i]
    options[name] = value
    i += 1
command = argv[i:]

ntasks = int(options.get('--ntasks', options.get('-n', '1')))
per_node = int(options.get('--ntasks-per-node', ntasks))
nodes = -(-ntasks // per_node)
kill_on_bad_exit = options.get('--kill-on-bad-exit',
                               options.get('-K', '0')) == '1'
host = 'localhost'
job = dict(
    SLURM_JOB_ID='4242', SLURM_JOBID='4242', SLURM_STEP_ID='0',
    SLURM_NTASKS=str(ntasks), SLURM_NPROCS=str(ntasks),
    SLURM_STEP_NUM_TASKS=str(ntasks), SLURM_NNODES=str(nodes),
    SLURM_JOB_NUM_NODES=str(nodes), SLURM_STEP_NUM_NODES=str(nodes),
    SLURM_NTASKS_PER_NODE=str(per_node),
    SLURM_TASKS_PER_NODE=(f'{per_node}(x{nodes})'
                          if nodes > 1 else str(per_node)),
    SLURM_NODELIST=host, SLURM_JOB_NODELIST=host, SLURM_STEP_NODELIST=host,
    SLURMD_NODENAME=host,
    SLURM_CPUS_PER_TASK=options.get('--cpus-per-task', '1'),
    SLURM_JOB_PARTITION=options.get('-p', options.get('--partition', '')),
    SLURM_JOB_NAME=options.get('--job-name', options.get('-J', 'job')))
tasks = []
for rank in range(ntasks):
    env = dict(os.environ, **job)
    env.update(SLURM_PROCID=str(rank), SLURM_LOCALID=str(rank % per_node),
               SLURM_NODEID=str(rank // per_node))
    tasks.append(subprocess.Popen(command, env=env))


def end_tasks(*_):
    for task in tasks:
        if task.poll() is None:
            task.terminate()
    deadline = time.monotonic() + 10
    for task in tasks:
        try:
            task.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            task.kill()
            task.wait()


def stop(signum, _):
    end_tasks()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
status = 0
while True:
    running = [task.poll() is None for task in tasks]
    failed = [t.returncode for t in tasks if t.returncode not in (None, 0)]
    if not any(running) or (failed and kill_on_bad_exit):
        break
    time.sleep(0.2)
failed = [t.returncode for t in tasks if t.returncode not in (None, 0)]
end_tasks()
if failed:
    status = failed[0] if failed[0] > 0 else 128 - failed[0]
sys.exit(status)
'''

FAKE_SCONTROL = '''#!@PYTHON@
"""A stand-in for ``scontrol show hostname(s) NODELIST`` (one node)."""
import json
import os
import sys

with open(os.environ['FAKE_SCONTROL_LOG'], 'a') as log:
    log.write(json.dumps(sys.argv[1:]) + '\\n')
assert sys.argv[1:3] in (['show', 'hostname'], ['show', 'hostnames'])
print('\\n'.join(sys.argv[3].split(',')))
'''


def fake_slurm_variables(folder):
    """Write the stand-ins into ``folder/bin``; how a command finds them.

    Args:
        folder (Path): An empty folder for them and their logs.

    Returns:
        tuple[dict, Path, Path]: The variables to add to a command's
        environment (``PATH`` with the stand-ins first, where they log, and
        that ``srun`` runs the command), and the logs of the ``srun`` and
        the ``scontrol`` calls.
    """
    bin_dir = folder / 'bin'
    bin_dir.mkdir()
    for name, text in (('srun', FAKE_SRUN), ('scontrol', FAKE_SCONTROL)):
        path = bin_dir / name
        path.write_text(text.replace('@PYTHON@', sys.executable))
        path.chmod(0o755)
    srun_log = folder / 'srun.jsonl'
    scontrol_log = folder / 'scontrol.jsonl'
    variables = dict(
        PATH=os.pathsep.join([str(bin_dir),
                              os.environ.get('PATH', '')]),
        FAKE_SRUN_LOG=str(srun_log),
        FAKE_SCONTROL_LOG=str(scontrol_log),
        FAKE_SRUN_RUN='1')
    return variables, srun_log, scontrol_log


def logged_calls(log):
    """The argument lists a stand-in logged, oldest first."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]
