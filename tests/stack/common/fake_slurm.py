"""Stand-ins for Slurm's ``srun`` and ``scontrol``, first on ``PATH``.

They let the ``--launcher slurm`` commands run on a machine without Slurm:
``srun`` logs its arguments and runs the command as the only task of a
one-node job; ``scontrol`` names that node.
"""
import json
import os
import sys

FAKE_SRUN = '''#!@PYTHON@
"""A stand-in for Slurm's srun.

Records its arguments (one JSON list a line in $FAKE_SRUN_LOG); with
FAKE_SRUN_RUN=1 it then runs the command as the only task of a one-node,
one-task job, with the environment Slurm gives such a task.
"""
import json
import os
import sys

argv = sys.argv
with open(os.environ['FAKE_SRUN_LOG'], 'a') as log:
    log.write(json.dumps(argv) + '\\n')
if os.environ.get('FAKE_SRUN_RUN') != '1':
    sys.exit(0)

TAKES_VALUE = ('-p', '--partition', '-J', '--job-name', '-n', '--ntasks',
               '-N', '--nodes', '-c', '--cpus-per-task', '-t', '--time',
               '-w', '--nodelist', '-x', '--exclude', '--gres', '--mem',
               '-q', '--qos', '-A', '--account')
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

host = 'localhost'
env = dict(os.environ)
env.update(
    SLURM_JOB_ID='4242', SLURM_JOBID='4242', SLURM_STEP_ID='0',
    SLURM_PROCID='0', SLURM_LOCALID='0', SLURM_NODEID='0',
    SLURM_NTASKS='1', SLURM_NPROCS='1', SLURM_NNODES='1',
    SLURM_JOB_NUM_NODES='1', SLURM_TASKS_PER_NODE='1',
    SLURM_NTASKS_PER_NODE='1',
    SLURM_NODELIST=host, SLURM_JOB_NODELIST=host, SLURM_STEP_NODELIST=host,
    SLURMD_NODENAME=host,
    SLURM_CPUS_PER_TASK=options.get('--cpus-per-task', '1'),
    SLURM_JOB_PARTITION=options.get('-p', options.get('--partition', '')),
    SLURM_JOB_NAME=options.get('--job-name', options.get('-J', 'job')))
os.execvpe(command[0], command, env)
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
