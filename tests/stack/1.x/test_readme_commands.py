{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""The README prints the commands that the project's tests run."""
from project_docs import readme_commands


def test_readme_runs_the_commands_the_project_tests_run(toy_project):
    # The project's slow tests and these checks share each run only if the
    # README prints exactly the commands the project's tests run.
    commands = readme_commands('try-it')
    assert commands[:2] == [
        'export PYTHONPATH=$(pwd)', 'python tools/make_toy_data.py'
    ]
    for task, (train, test) in toy_project.commands.items():
        assert train in commands and test in commands, task
        assert commands.index(train) < commands.index(test)
    assert list(toy_project.commands) == {{ tasks }}


def test_readme_commands_of_both_languages_agree():
    assert readme_commands('try-it', 'zh_cn') == readme_commands('try-it')
    assert readme_commands('look', 'zh_cn') == readme_commands('look')
