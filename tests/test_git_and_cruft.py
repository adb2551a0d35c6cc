"""The template used from git: cookiecutter gh:/git+ URLs, replay, cruft."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter


def git(*args, cwd):
    return subprocess.run(['git', *args],
                          cwd=cwd,
                          check=True,
                          capture_output=True,
                          text=True).stdout


@pytest.fixture
def template_clone(template_root, tmp_path):
    """A clone of the template's committed state, tagged ``v-test``."""
    clone = tmp_path / 'template'
    subprocess.run(['git', 'clone', '-q', str(template_root), str(clone)],
                   check=True)
    git('config', 'user.email', 'ci@example.com', cwd=clone)
    git('config', 'user.name', 'CI', cwd=clone)
    git('tag', 'v-test', cwd=clone)
    return clone


def test_bake_from_git_url_with_checkout(template_clone, tmp_path):
    git('checkout', '-q', '-b', 'later', cwd=template_clone)
    (template_clone / 'README.md').write_text('changed on a branch\n')
    git('commit', '-qam', 'a later change', cwd=template_clone)
    project = cookiecutter(
        f'git+file://{template_clone}',
        checkout='v-test',
        no_input=True,
        extra_context={'backbone_name': 'MyNet', 'tasks': 'cls'},
        output_dir=str(tmp_path / 'out'),
        overwrite_if_exists=False)
    project = Path(project)
    assert (project / 'models' / 'my_net.py').exists()
    assert not (project / 'configs' / 'det').exists()
    for hook in ('pre_gen_project.py', 'post_gen_project.py'):
        mode = git('ls-files', '-s', f'hooks/{hook}', cwd=template_clone)
        assert mode.startswith('100755'), mode


@pytest.mark.parametrize('generation', ['1.x', '2.x'])
def test_project_records_its_answers_for_replay(template_root, tmp_path,
                                                generation):
    first = Path(
        cookiecutter(
            str(template_root),
            no_input=True,
            extra_context={
                'backbone_name': 'MyNet',
                'tasks': 'seg det',
                'openmmlab': generation
            },
            output_dir=str(tmp_path / 'first')))
    recorded = json.loads((first / '.cookiecutter.json').read_text())
    assert recorded['cookiecutter']['backbone_name'] == 'MyNet'
    assert recorded['cookiecutter']['tasks'] == 'seg det'
    assert recorded['cookiecutter']['openmmlab'] == generation
    again = Path(
        cookiecutter(
            str(template_root),
            replay=str(first / '.cookiecutter.json'),
            output_dir=str(tmp_path / 'again')))
    diff = subprocess.run(['diff', '-r', str(first), str(again)],
                          capture_output=True,
                          text=True)
    assert diff.returncode == 0, diff.stdout[-3000:]


def cruft(*args, cwd):
    return subprocess.run([sys.executable, '-m', 'cruft', *args],
                          cwd=cwd,
                          capture_output=True,
                          text=True)


def test_cruft_create_check_update(template_clone, tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    created = cruft('create', f'file://{template_clone}', '--no-input',
                    '--extra-context', '{"backbone_name": "MyNet"}',
                    '--output-dir', str(out), cwd=tmp_path)
    assert created.returncode == 0, created.stdout + created.stderr
    project = out / 'mynet_backbone'
    assert json.loads((project / '.cruft.json').read_text())['commit']
    git('init', '-q', cwd=project)
    git('add', '-A', cwd=project)
    git('-c', 'user.email=u@example.com', '-c', 'user.name=U', 'commit',
        '-qm', 'baked', cwd=project)
    assert cruft('check', cwd=project).returncode == 0

    # The template changes a file the user has not touched.
    data_readme = template_clone / '{{cookiecutter.__project_folder}}' / \
        'data' / 'README.md'
    data_readme.write_text(data_readme.read_text() + '\nUpdated.\n')
    git('commit', '-qam', 'template update', cwd=template_clone)

    assert cruft('check', cwd=project).returncode != 0
    updated = cruft('update', '--skip-apply-ask', '--allow-untracked-files',
                    cwd=project)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert (project / 'data' / 'README.md').read_text().endswith(
        'Updated.\n')
    assert not list(project.rglob('*.rej'))
    assert cruft('check', cwd=project).returncode == 0
