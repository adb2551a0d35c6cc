"""The tests' ``srun`` stand-in starts a job's tasks as Slurm would."""
import json
import subprocess
import sys
import time

from fake_slurm import fake_slurm_variables, logged_calls

#: Each task prints the variables Slurm gives it, then does what
#: ``TASK_<rank>`` says: ``exit <n>`` or ``sleep <s>``.
TASK = '''
import json, os, sys, time
print(json.dumps({k: v for k, v in os.environ.items()
                  if k.startswith('SLURM')}), flush=True)
what, value = os.environ.get('TASK_' + os.environ['SLURM_PROCID'],
                             'exit 0').split()
if what == 'sleep':
    time.sleep(float(value))
sys.exit(int(value) if what == 'exit' else 0)
'''


def srun(tmp_path, *options, **tasks):
    """Run the stand-in with ``options``; each task runs :data:`TASK`."""
    variables, log, _ = fake_slurm_variables(tmp_path)
    env = dict(variables, PATH=variables['PATH'], **tasks)
    command = ['srun', *options, sys.executable, '-c', TASK]
    start = time.monotonic()
    result = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        executable=str(tmp_path / 'bin' / 'srun'))
    result.seconds = time.monotonic() - start
    assert len(logged_calls(log)) == 1
    return result


def test_srun_starts_every_task_with_slurms_variables(tmp_path):
    result = srun(tmp_path, '--ntasks=4', '--ntasks-per-node=2',
                  '--kill-on-bad-exit=1', '-p', 'toy')
    assert result.returncode == 0, result.stderr
    tasks = sorted((json.loads(line) for line in result.stdout.splitlines()),
                   key=lambda task: int(task['SLURM_PROCID']))
    assert [t['SLURM_PROCID'] for t in tasks] == ['0', '1', '2', '3']
    assert [t['SLURM_LOCALID'] for t in tasks] == ['0', '1', '0', '1']
    assert [t['SLURM_NODEID'] for t in tasks] == ['0', '0', '1', '1']
    for task in tasks:
        assert task['SLURM_NTASKS'] == '4'
        assert task['SLURM_NTASKS_PER_NODE'] == '2'
        assert task['SLURM_TASKS_PER_NODE'] == '2(x2)'
        assert task['SLURM_NODELIST'] == 'localhost'
        assert task['SLURM_JOB_PARTITION'] == 'toy'


def test_a_failing_task_ends_the_job(tmp_path):
    # As with --kill-on-bad-exit=1: the other task is ended at once.
    result = srun(
        tmp_path,
        '--ntasks=2',
        '--kill-on-bad-exit=1',
        TASK_0='sleep 600',
        TASK_1='exit 3')
    assert result.returncode == 3
    assert result.seconds < 60


def test_without_kill_on_bad_exit_the_job_waits_for_its_tasks(tmp_path):
    result = srun(tmp_path, '--ntasks=2', TASK_0='sleep 1', TASK_1='exit 5')
    assert result.returncode == 5
    assert result.stdout.count('SLURM_PROCID') == 2
