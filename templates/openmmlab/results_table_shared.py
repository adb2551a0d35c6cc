#: A checkpoint named by ``publish_model``: name, date, sha256 prefix.
PUBLISHED = re.compile(r'(.+)_(\d{8})-([0-9a-f]{8})\.pth')


class NotAWorkDir(Exception):
    """A path that holds no training of a config of this project."""


def shown(path):
    """``path`` relative to the project where it is inside it."""
    path = path.resolve()
    if path.is_relative_to(PROJECT_ROOT):
        return path.relative_to(PROJECT_ROOT).as_posix()
    return path.as_posix()


def find_config(work_dir):
    """The project's config that trained in ``work_dir``, and its task.

    ``mim train`` copies its config into the work dir under the config's
    name; the project's config of that name is the row's config.
    """
    if not work_dir.is_dir():
        raise NotAWorkDir(f'{work_dir} is not a work dir: no such folder')
    for dumped in sorted(work_dir.glob('*.py')):
        found = sorted(PROJECT_ROOT.glob(f'configs/*/**/{dumped.name}'))
        if found and found[0].parts[-2] != '_base_':
            config = found[0]
            return config, config.relative_to(PROJECT_ROOT).parts[1]
    raise NotAWorkDir(f'{work_dir} is not a work dir of this project: it '
                      'holds no copy of a config of configs/ (mim train '
                      'writes one)')


def sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for block in iter(functools.partial(file.read, 1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def checkpoint_of(work_dir, final):
    """The checkpoint to name: a published one, else the final one.

    Returns:
        tuple[str, str]: The table's text and the metafile's ``Weights``
        (None without a checkpoint).
    """
    for path in sorted(work_dir.glob('*.pth')):
        match = PUBLISHED.fullmatch(path.name)
        if match:
            actual = sha256(path)[:8]
            if actual != match[3]:
                return (f'{path.name} (its sha256 starts with {actual}, not '
                        f'{match[3]})'), None
            return f'[{path.name}]({shown(path)})', shown(path)
    path = work_dir / final
    if path.is_file():
        return f'{final} (unpublished, sha256 {sha256(path)[:8]})', None
    return '-', None


def measure(rows, device, iters, warmup):
    """Images per second of each row's model, timed side by side."""
    steps = {}
    for row in rows:
        step = make_step(row['model'].to(device), False, 'fp32', device.type)
        inputs = torch.randn(1, *row['shape'], device=device)
        steps[row['name']] = functools.partial(
            lambda step, inputs, _: step(inputs), step, inputs)
    times = time_steps(steps, None, iters, warmup, device)
    for row in rows:
        row['speed'] = 1 / statistics.median(times[row['name']])


def collect(work_dir):
    """The row of one work dir (not yet timed)."""
    config, task = find_config(work_dir)
    cfg = Config.fromfile(str(config))
    records = read_records(work_dir)
    final = final_checkpoint(cfg)
    finished = (work_dir / final).is_file()
    metrics, source = metrics_of(task, cfg, records, finished)
    shape = input_shape(task, cfg)
    model = build_model(task, cfg)
    with torch.no_grad():
        flops, params = count_complexity(model, shape)
    checkpoint, weights = checkpoint_of(work_dir, final)
    toy = 'data/toy/' in str(cfg.get('data_root', ''))
    return dict(
        name=config.stem,
        task=task,
        config=config.relative_to(PROJECT_ROOT).as_posix(),
        backbone=cfg.model.backbone.type.split('.')[-1],
        shape=shape,
        params=params / 1e6,
        flops=flops / 1e9,
        metrics=metrics,
        source=source,
        checkpoint=checkpoint,
        weights=weights,
        dataset=TASKS[task]['toy_dataset' if toy else 'dataset'],
        model=model)


def table(task, rows):
    """OpenMMLab's Markdown results table of one task."""
    columns = [column for column, _, _, _ in TASKS[task]['metrics']]
    header = ['Model', 'Config', 'Input', 'Params (M)', 'FLOPs (G)', 'img/s'
              ] + columns + ['Record', 'Checkpoint']
    lines = [
        '| ' + ' | '.join(header) + ' |',
        '|' + '|'.join([' --- '] * len(header)) + '|'
    ]
    for row in rows:
        values = [
            f'{row["metrics"][column]:.2f}' if column in row['metrics'] else
            ('-' if row['source'] in ('not finished',
                                      'no evaluation') else 'not logged')
            for column in columns
        ]
        cells = [
            row['name'], f'[config]({row["config"]})', 'x'.join(
                map(str, row['shape'][1:])), f'{row["params"]:.2f}',
            f'{row["flops"]:.2f}', f'{row["speed"]:.1f}'
        ] + values + [row['source'], row['checkpoint']]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def metafile(task, rows):
    """The model-index metafile of one task's rows."""
    spec = TASKS[task]
    collections = sorted({row['backbone'] for row in rows})
    models = []
    for row in rows:
        model = {
            'Name': row['name'],
            'In Collection': row['backbone'],
            'Metadata': {
                'FLOPs': round(row['flops'] * 1e9),
                'Parameters': round(row['params'] * 1e6),
                'Training Data': row['dataset'],
            },
            'Config': row['config'],
        }
        metrics = {
            name: round(row['metrics'][column], 2)
            for column, name, _, _ in spec['metrics']
            if column in row['metrics']
        }
        if metrics:
            model['Results'] = [{
                'Task': spec['task'],
                'Dataset': row['dataset'],
                'Metrics': metrics,
            }]
        if row['weights']:
            model['Weights'] = row['weights']
        models.append(model)
    return {
        'Collections': [{
            'Name': name,
            'Metadata': {
                'Architecture': [name]
            }
        } for name in collections],
        'Models':
        models,
    }


def write_metafiles(by_task):
    """``configs/<task>/metafile.yml`` and ``model-index.yml``."""
    imports = []
    for task, rows in by_task.items():
        path = PROJECT_ROOT / 'configs' / task / 'metafile.yml'
        path.write_text(yaml.safe_dump(metafile(task, rows), sort_keys=False))
        imports.append(path.relative_to(PROJECT_ROOT).as_posix())
    (PROJECT_ROOT / 'model-index.yml').write_text(
        yaml.safe_dump({'Import': imports}, sort_keys=False))
    return imports


def build_parser():
    parser = argparse.ArgumentParser(
        description='Print the results table of work dirs and write the '
        'metafiles.')
    parser.add_argument(
        'work_dirs', nargs='+', type=Path, help='work dirs of trainings')
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='where to time inference')
    parser.add_argument(
        '--iters', type=int, default=5, help='timed batches per model')
    parser.add_argument(
        '--warmup', type=int, default=1, help='untimed batches per model')
    parser.add_argument(
        '--no-metafiles', action='store_true', help='print the tables only')
    return parser


def main():
    args = build_parser().parse_args()
    by_task = {}
    for work_dir in args.work_dirs:
        try:
            row = collect(work_dir)
        except NotAWorkDir as error:
            sys.exit(f'results_table.py: error: {error}')
        by_task.setdefault(row['task'], []).append(row)
    device = torch.device(args.device)
    for task in sorted(by_task, key=list(TASKS).index):
        rows = by_task[task]
        measure(rows, device, args.iters, args.warmup)
        print(f'\n### {TASKS[task]["task"]}\n')
        print(table(task, rows))
    print('\nimg/s: batch 1, fp32, on ' +
          (torch.cuda.get_device_name(device) if device.type ==
           'cuda' else 'cpu'))
    if not args.no_metafiles:
        written = write_metafiles(by_task)
        print('Wrote ' + ', '.join(written + ['model-index.yml']))


if __name__ == '__main__':
    main()