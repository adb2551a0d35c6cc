"""The README's classification commands plot, resume and draw as printed."""
import re
from pathlib import Path

from project_docs import docs_text, readme_commands
from stack_helpers import drawn_images

#: The first bytes of every PNG file.
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def test_training_curve_plot(try_it):
    try_it.train('mmcls')
    command = try_it.command('mim run mmcls analyze_logs')
    try_it.run('mim run mmcls analyze_logs')
    png = try_it.workspace / re.search(r'--out (\S+)', command)[1]
    assert png.read_bytes()[:8] == PNG_SIGNATURE


def test_training_curve_plot_of_a_resumed_run(try_it):
    # mmcls 0.25 takes the resumed log's first line (the run's metadata,
    # which holds the resumed epoch) for an epoch without a loss; the docs
    # say so and plot a copy without that line.
    try_it.stop_and_resume('mmcls', 'epoch_2.pth', 'epoch_3.pth')
    work_dir = try_it.workspace / try_it.stopped_work_dir('mmcls')
    resumed_log = sorted(work_dir.glob('*.log.json'))[-1]
    png = work_dir / 'loss.png'
    plot = re.sub(r'\S+\.log\.json', '{log}',
                  try_it.command('mim run mmcls analyze_logs'))
    plot = re.sub(r'--out \S+', f'--out {png}', plot)

    upstream = try_it.toy_project.shell(plot.format(log=resumed_log))
    error = 'does not contain metric loss in train mode'
    assert upstream.returncode != 0 and error in upstream.stdout, (
        'mmcls plots a resumed log now: drop the note on it in the docs\n' +
        upstream.stdout[-2000:])
    assert error in docs_text()

    copy = work_dir / 'resumed.log.json'
    copy.write_text(''.join(resumed_log.read_text().splitlines(True)[1:]))
    try_it.shell(plot.format(log=copy))
    assert png.read_bytes()[:8] == PNG_SIGNATURE


def test_look_at_pipeline_and_predictions(try_it):
    try_it.train('mmcls')
    folders = try_it.look('mmcls')
    number = re.search(r'vis_pipeline .* --number (\d+)',
                       '\n'.join(readme_commands('look')))[1]
    assert len(drawn_images(folders['--output-dir'])) == int(number)

    analysis = folders['--out-dir']
    right = drawn_images(analysis / 'success')
    wrong = drawn_images(analysis / 'fail') if (analysis /
                                                'fail').is_dir() else []
    assert right, 'analyze_results drew no correctly classified image'
    val_names = {
        path.name
        for path in Path(try_it.workspace, 'data/toy/imagenet/val').glob('*/*')
    }
    assert set(right + wrong) <= val_names


def test_cls_resume_continues_epoch_and_optimizer(try_it):
    at_stop, resumed = try_it.stop_and_resume('mmcls', 'epoch_2.pth',
                                              'epoch_3.pth')
    iters_per_epoch = at_stop['meta']['iter'] // 2
    assert resumed['meta']['epoch'] == 3
    assert resumed['meta']['iter'] == 3 * iters_per_epoch
    # AdamW counts its steps per parameter: a fresh optimizer would be at
    # one epoch's worth, the resumed one continues from the stop.
    steps = {
        float(state['step'])
        for state in resumed['optimizer']['state'].values()
    }
    assert steps == {3.0 * iters_per_epoch}


def test_cls_seeded_rerun_repeats_the_run(try_it):
    # The README's --seed: the stopped run of the same command logged the
    # same losses as the README's run, up to where it was stopped (without
    # a seed they differ from the first logged iteration).
    losses = try_it.train('mmcls')
    try_it.stop_and_resume('mmcls', 'epoch_2.pth', 'epoch_3.pth')
    rerun = try_it.stopped_losses('mmcls')
    assert len(rerun) >= 2
    assert rerun == losses[:len(rerun)]
