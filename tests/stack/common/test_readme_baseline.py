{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""The README's baseline block, run as printed: the results table of the toy
runs, its numbers read from the runs' own records, and the metafiles."""
import json
import re
import shlex
import shutil
import sys

import pytest
import yaml
from project_docs import docs_text, readme_commands

#: The metric columns of each task's table, their keys in the json logs and
#: the factor between the two; the json logs of a work dir.
{%- if cookiecutter.openmmlab == '1.x' %}
METRICS = {
    'cls': {
        'Top-1 (%)': ('accuracy_top-1', 1)
    },
    'det': {
        'box AP': ('bbox_mAP', 100),
        'mask AP': ('segm_mAP', 100)
    },
    'seg': {
        'mIoU': ('mIoU', 100),
        'mAcc': ('mAcc', 100)
    },
}
LOGS = '*.log.json'
CONFIG_IMPORT = 'from mmcv import Config'
{%- else %}
METRICS = {
    'cls': {
        'Top-1 (%)': ('accuracy/top1', 1)
    },
    'det': {
        'box AP': ('coco/bbox_mAP', 100),
        'mask AP': ('coco/segm_mAP', 100)
    },
    'seg': {
        'mIoU': ('mIoU', 1),
        'mAcc': ('mAcc', 1)
    },
}
# mmengine's LocalVisBackend: a folder per run.
LOGS = '*/vis_data/scalars.json'
CONFIG_IMPORT = 'from mmengine.config import Config'
{%- endif %}
TABLE_TOOL = 'python tools/results_table.py'


def tables(output):
    """The rows of the printed Markdown tables, as dicts by column."""
    rows, header = [], None
    for line in output.splitlines():
        if not line.startswith('| '):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip('| ').split(' | ')]
        if header is None:
            header = cells
        elif set(line) != set('|- '):
            rows.append(dict(zip(header, cells)))
    return rows


@pytest.fixture(scope='module')
def baseline_run(toy_project):
    """The block's commands, after the README's toy runs they stand beside."""
    commands = readme_commands('baseline')
    assert commands[-1].startswith(TABLE_TOOL), commands
    for task in toy_project.commands:
        toy_project.test(task)
    for command in commands[:-1]:
        toy_project.run(command)
    return commands, toy_project.run(commands[-1])


def test_both_languages_print_the_same_block():
    assert readme_commands('baseline', 'zh_cn') == readme_commands('baseline')


def test_the_table_has_a_row_per_run(baseline_run):
    commands, output = baseline_run
    work_dirs = commands[-1].split()[2:]
    rows = tables(output)
    # One table per task: the work dirs' rows, grouped by task.
    assert sorted(row['Model'] for row in rows) == sorted(
        work_dir.split('/')[-1] for work_dir in work_dirs)
{%- if cookiecutter.backbone_name != 'ConvNeXt' %}
    # The user's backbone and the toolbox's ConvNeXt, for every task.
    assert len(rows) == 2 * {{ tasks|length }}
    baseline_rows = [row for row in rows if 'baseline/' in row['Config']]
    assert len(baseline_rows) == {{ tasks|length }}
{%- endif %}


def test_metrics_are_the_logged_ones(baseline_run, toy_project):
    _, output = baseline_run
    for row in tables(output):
        log_name, line = re.match(r'(\S+\.json):(\d+) ',
                                  row['Record']).groups()
        assert (toy_project.path / log_name).match(LOGS)
        record = json.loads((toy_project.path /
                             log_name).read_text().splitlines()[int(line) - 1])
        task = row['Config'].split('/')[1]
        for column, (key, factor) in METRICS[task].items():
            assert float(row[column]) == pytest.approx(
                record[key] * factor, abs=0.006), (row, record)


def test_params_and_flops_are_the_flops_tools(baseline_run, toy_project):
    _, output = baseline_run
    rows = tables(output)
    script = '\n'.join([
        'import json, sys',
        'sys.path.insert(0, "tools")',
        'from get_flops import count_complexity',
        'from results_table import PROJECT_ROOT, TASKS, build_model, '
        'input_shape',
        CONFIG_IMPORT,
        'counts = {}',
        'for config in sys.argv[1:]:',
        '    cfg = Config.fromfile(config)',
        '    task = config.split("/")[1]',
        '    model = build_model(task, cfg)',
        '    shape = input_shape(task, cfg)',
        '    flops, params = count_complexity(model, shape)',
        '    numel = sum(p.numel() for p in model.parameters())',
        '    counts[config] = [flops, params, numel]',
        'print(json.dumps(counts))',
    ])
    configs = [re.search(r'\((\S+)\)', row['Config'])[1] for row in rows]
    run = toy_project.shell(f'{sys.executable} -c {shlex.quote(script)} ' +
                            ' '.join(configs))
    assert run.returncode == 0, run.stdout[-3000:]
    counts = json.loads(run.stdout.strip().splitlines()[-1])
    for row, config in zip(rows, configs):
        flops, params, numel = counts[config]
        assert params == numel
        assert float(row['Params (M)']) == pytest.approx(
            params / 1e6, abs=0.006)
        assert float(row['FLOPs (G)']) == pytest.approx(flops / 1e9, abs=0.006)


def test_metafiles_pass_mi_check(baseline_run, toy_project):
    _, output = baseline_run
    model_index = toy_project.path / 'model-index.yml'
    assert 'model-index.yml' in output and model_index.is_file()
    check = toy_project.shell('mi check model-index.yml')
    assert check.returncode == 0 and 'All good' in check.stdout, check.stdout
    for task in {{ tasks }}:
        metafile = yaml.safe_load(
            (toy_project.path / 'configs' / task / 'metafile.yml').read_text())
        names = [model['Name'] for model in metafile['Models']]
        assert names and all('Results' in model
                             for model in metafile['Models']), names


def test_unfinished_unevaluated_and_published_runs(baseline_run, toy_project):
    """No number for a run without its final checkpoint or evaluation; a
    checkpoint published with the docs' command is named and checked."""
    commands, _ = baseline_run
    work_dir = toy_project.path / commands[-1].split()[2]
    name = work_dir.name
    final = max(
        work_dir.glob('epoch_*.pth'),
        key=lambda path: int(path.stem.split('_')[1]),
        default=None)
    final = final or max(
        work_dir.glob('iter_*.pth'),
        key=lambda path: int(path.stem.split('_')[1]))
    copies = toy_project.path / 'copies'
    unfinished, unevaluated = copies / 'unfinished', copies / 'unevaluated'
    for copy in (unfinished, unevaluated):
        shutil.copytree(work_dir, copy)
    (unfinished / final.name).unlink()
    keys = [key for metrics in METRICS.values() for key, _ in metrics.values()]

    def evaluated(line):
        return any(f'"{key}"' in line for key in keys)

    for log in unevaluated.glob(LOGS):
        lines = log.read_text().splitlines(True)
        log.write_text(''.join(line for line in lines if not evaluated(line)))
    publish = next(line for line in docs_text().splitlines()
                   if ' publish_model ' in line).strip()
    publish = publish.replace(
        re.search(r'work_dirs/[^/\s]+', publish)[0], 'copies/unevaluated')
    publish = re.sub(
        r'\S+\.pth ', f'copies/unevaluated/{final.name} ', publish, count=1)
    run = toy_project.shell(publish)
    assert run.returncode == 0, run.stdout[-3000:]
    output = toy_project.run(f'{TABLE_TOOL} copies/unfinished '
                             'copies/unevaluated --no-metafiles')
    rows = {row['Record']: row for row in tables(output)}
    assert set(rows) == {'not finished', 'no evaluation'}, output
    for row in rows.values():
        assert row['Model'] == name
        assert not re.search(
            r'\d', ''.join(row[column] for column in row
                           if column in sum(map(list, METRICS.values()), [])))
    published = rows['no evaluation']['Checkpoint']
    out = re.escape(publish.split()[-1].rsplit('/', 1)[-1][:-len('.pth')])
    assert re.match(r'\[' + out + r'_\d{8}-[0-9a-f]{8}\.pth\]',
                    published), published


def test_a_path_that_is_not_a_work_dir_is_one_line(toy_project):
    run = toy_project.shell(f'{TABLE_TOOL} configs')
    errors = [line for line in run.stdout.splitlines() if 'error' in line]
    assert run.returncode != 0
    assert errors == [
        'results_table.py: error: configs is not a work dir of this project: '
        'it holds no copy of a config of configs/ (mim train writes one)'
    ], run.stdout[-2000:]
