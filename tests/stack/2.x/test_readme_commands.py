{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""The README prints the commands that the project's tests and these run."""
from project_docs import readme_commands


def test_readme_runs_the_commands_the_project_tests_run(toy_project):
    # The project's slow tests and these checks share each run only if the
    # README prints exactly the commands the project's tests run.
    commands = readme_commands('try-it')
    assert commands[:2] == [
        'export PYTHONPATH=$(pwd)', 'python tools/make_toy_data.py'
    ]
    toy_commands = []
    for task, (train, test) in toy_project.commands.items():
        assert train in commands and test in commands, task
        assert commands.index(train) < commands.index(test)
        toy_commands += [train, test]
    assert list(toy_project.commands) == {{ tasks }}
    # What is left, test_readme_try_it.py runs: every command runs.
    rest = [c for c in commands[2:] if c not in toy_commands]
{%- if 'cls' in tasks %}
    assert len(rest) == 1, rest
    assert rest[0].startswith('mim run mmpretrain analyze_logs plot_curve ')
{%- else %}
    assert rest == []
{%- endif %}


def test_readme_commands_of_both_languages_agree():
    assert readme_commands('try-it', 'zh_cn') == readme_commands('try-it')
