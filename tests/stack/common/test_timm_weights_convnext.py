{%- set name = cookiecutter.backbone_name -%}
{%- set toolbox = 'mmcls' if cookiecutter.openmmlab == '1.x' else 'mmpretrain' -%}
"""timm's ConvNeXt and ConvNeXt-V2 weights, converted, give timm's outputs.

For every preset that both timm and the project have, timm's model with
random weights (nothing is downloaded), saved as ``.pth`` and as
``.safetensors``, is converted by ``tools/model_converters/``; the
project's classifier, built from its classification config with the
preset (and the options of V2) set, loads the result with ``strict=True``
and gives timm's logits in eval mode.
{%- if cookiecutter.openmmlab == '1.x' %} mmcls 0.25's downsample
LayerNorms have eps 1e-5 where timm's have 1e-6: the logits agree within
1e-4 with the backbone's default, within 1e-5 with
``downsample_norm_eps=1e-6``.
{%- else %} They agree within 1e-5.
{%- endif %}

Also: the backbone-only checkpoint that the det and seg configs start from
with the docs' ``--cfg-options``, and the refusals (unknown key, missing
key, a shape no preset has, a file that is no state_dict), each in one
line, with nothing written.
"""
import copy
import functools
import gc
import importlib.util
import os
import re
import subprocess
import sys

import pytest
import timm
import torch
{%- if cookiecutter.openmmlab == '1.x' %}
from mmcls.datasets import DATASETS
from mmcls.models import BACKBONES, build_classifier
from mmcv import Config
{%- else %}
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS, MODELS
from mmpretrain.utils import register_all_modules
{%- endif %}
from project_docs import PROJECT_ROOT, docs_text
from safetensors.torch import save_file

from models import {{ name }} as Backbone

CONVERTER = 'tools/model_converters/timm_convnext_to_{{ toolbox }}.py'
CLS_CONFIG = 'configs/cls/{{ cookiecutter.__config_prefix }}-tiny_8xb128_in1k.py'
#: The presets both timm and the project have: timm's model of each.
TIMM_MODELS = {
    ('ConvNeXt', 'atto'): 'convnext_atto',
    ('ConvNeXt', 'femto'): 'convnext_femto',
    ('ConvNeXt', 'pico'): 'convnext_pico',
    ('ConvNeXt', 'nano'): 'convnext_nano',
    ('ConvNeXt', 'tiny'): 'convnext_tiny',
    ('ConvNeXt', 'small'): 'convnext_small',
    ('ConvNeXt', 'base'): 'convnext_base',
    ('ConvNeXt', 'large'): 'convnext_large',
    ('ConvNeXt', 'xlarge'): 'convnext_xlarge',
    ('ConvNeXt-V2', 'atto'): 'convnextv2_atto',
    ('ConvNeXt-V2', 'femto'): 'convnextv2_femto',
    ('ConvNeXt-V2', 'pico'): 'convnextv2_pico',
    ('ConvNeXt-V2', 'nano'): 'convnextv2_nano',
    ('ConvNeXt-V2', 'tiny'): 'convnextv2_tiny',
    ('ConvNeXt-V2', 'small'): 'convnextv2_small',
    ('ConvNeXt-V2', 'base'): 'convnextv2_base',
    ('ConvNeXt-V2', 'large'): 'convnextv2_large',
    ('ConvNeXt-V2', 'huge'): 'convnextv2_huge',
}
#: The backbone options of each version.
VERSIONS = {
    'ConvNeXt': {},
    'ConvNeXt-V2': dict(use_grn=True, layer_scale_init_value=0.),
}
#: One preset's head has ImageNet-22k's classes; the others ImageNet-1k's.
IN22K = ('ConvNeXt', 'tiny')
{%- if cookiecutter.openmmlab == '1.x' %}
#: The logits' tolerance with the backbone's default downsample eps
#: (mmcls's 1e-5), and with timm's.
ATOL = {1e-5: 1e-4, 1e-6: 1e-5}
{%- else %}
ATOL = 1e-5
{%- endif %}


def load_converter():
    spec = importlib.util.spec_from_file_location('timm_converter',
                                                  PROJECT_ROOT / CONVERTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


converter = load_converter()


def timm_model(model_name, num_classes=1000, seed=0):
    """timm's model with random weights, none of them at their init value.

    timm's init leaves the norms at the identity, GRN at zero and the layer
    scales at 1e-6, which would hide most of the weights from the outputs.
    The model is built without an init of its own (seconds for the large
    presets) and every tensor is drawn here. The norm weights and layer
    scales are small enough that the eps of a LayerNorm shows in the
    logits: mmcls's 1e-5 in the downsample layers instead of timm's 1e-6
    moves them by 2e-5 to 4e-5.
    """
    with torch.device('meta'):
        model = timm.create_model(
            model_name, pretrained=False, num_classes=num_classes)
    assert not list(model.buffers())  # every tensor is a parameter
    model.to_empty(device='cpu')
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for key, param in model.named_parameters():
            if param.ndim > 1:  # convolutions and linear layers
                fan_in = param[0].numel()
                param.normal_(0, fan_in**-0.5, generator=generator)
            elif '.grn.' in key:
                param.uniform_(-0.5, 0.5, generator=generator)
            elif key.endswith('bias'):
                param.uniform_(-0.2, 0.2, generator=generator)
            else:  # norm weights and layer scales
                param.uniform_(0.1, 0.3, generator=generator)
    return model.eval()


def save_as(state_dict, path):
    if path.suffix == '.safetensors':
        save_file(state_dict, path)
    else:
        torch.save(state_dict, path)
    return path


def convert(capsys, src, dst, *options):
    """Run the converter as its command does; its printed lines."""
    capsys.readouterr()  # what the tests printed before (mmengine's logs)
    converter.main([str(src), str(dst), *options])
    return capsys.readouterr().out.splitlines()


@functools.lru_cache()
def cls_config():
    """The classification config, read once."""
    return Config.fromfile(str(PROJECT_ROOT / CLS_CONFIG))


def load_checkpoint(path):
    # Mapped rather than read (GBs for the large presets).
    return torch.load(path, map_location='cpu', weights_only=True, mmap=True)
{%- if cookiecutter.openmmlab == '1.x' %}


def classifier(checkpoint, arch, num_classes, **options):
    """The classification config's model, with the preset and ``options``,
    loaded strictly from ``checkpoint``."""
    model_cfg = copy.deepcopy(cls_config().model)
    model_cfg.backbone.update(arch=arch, **options)
    model_cfg.head.update(
        in_channels=Backbone.arch_settings[arch]['channels'][-1],
        num_classes=num_classes)
    # Without a random init (seconds for the large presets): every tensor
    # comes from the checkpoint.
    with torch.device('meta'):
        model = build_classifier(model_cfg)
    model.load_state_dict(checkpoint['state_dict'], strict=True, assign=True)
    return model.eval()


def logits(model, images):
    return model.simple_test(images, softmax=False, post_process=False)


def config_meta():
    """The ``meta`` that mmcls's training writes for the config's data."""
    cfg = cls_config()
    return dict(CLASSES=DATASETS.get(cfg.data.train.type).CLASSES)


def build_backbone(cfg):
    return BACKBONES.build(cfg)
{%- else %}


register_all_modules(init_default_scope=False)


def classifier(checkpoint, arch, num_classes, **options):
    """The classification config's model, with the preset and ``options``,
    loaded strictly from ``checkpoint``."""
    model_cfg = copy.deepcopy(cls_config().model)
    model_cfg.backbone.update(arch=arch, **options)
    model_cfg.head.update(
        in_channels=Backbone.arch_settings[arch]['channels'][-1],
        num_classes=num_classes)
    # Without a random init (seconds for the large presets): every tensor
    # comes from the checkpoint.
    with DefaultScope.overwrite_default_scope('mmpretrain'), \
            torch.device('meta'):
        model = MODELS.build(model_cfg)
    model.load_state_dict(checkpoint['state_dict'], strict=True, assign=True)
    return model.eval()


def logits(model, images):
    return model(images, mode='tensor')


def config_meta():
    """The ``meta`` in which mmengine keeps the config's class names."""
    cfg = cls_config()
    dataset = DATASETS.get(cfg.train_dataloader.dataset.type)
    return dict(dataset_meta=dict(classes=dataset.METAINFO['classes']))


def build_backbone(cfg):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg)
{%- endif %}


def test_the_presets_are_those_that_timm_has_too():
    for version, prefix in (('ConvNeXt', 'convnext'), ('ConvNeXt-V2',
                                                       'convnextv2')):
        both = {
            arch
            for arch in Backbone.arch_settings
            if timm.is_model(f'{prefix}_{arch}')
        }
        assert both == {arch for v, arch in TIMM_MODELS if v == version}


@pytest.mark.parametrize(
    'version, arch',
    list(TIMM_MODELS),
    ids=[f'{version}-{arch}' for version, arch in TIMM_MODELS])
def test_converted_weights_give_timms_logits(tmp_path, capsys, version, arch):
    num_classes = 21841 if (version, arch) == IN22K else 1000
    model = timm_model(TIMM_MODELS[version, arch], num_classes)
    images = torch.randn(
        2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = model(images)
    # Saved once in each format, then freed: the large presets take GBs.
    sources = [
        save_as(model.state_dict(), tmp_path / f'{arch}{suffix}')
        for suffix in ('.pth', '.safetensors')
    ]
    del model
    gc.collect()
    setting = Backbone.arch_settings[arch]
    for src in sources:
        dst = tmp_path / 'converted.pth'
        lines = convert(capsys, src, dst)
        assert lines[0] == (
            f"{src}: timm's {version}, preset '{arch}' (depths "
            f"{setting['depths']}, channels {setting['channels']})")
        if num_classes == 1000:
            assert 'head: 1000 classes (ImageNet-1k), as in the configs' \
                in lines
        else:
            assert any(
                line.startswith('head: 21841 classes (ImageNet-22k); the '
                                'configs have 1000: set '
                                'model.head.num_classes=21841')
                for line in lines), lines
        options = ' '.join(f'model.backbone.{key}={value!r}'
                           for key, value in VERSIONS[version].items())
        assert bool(options) == any(
            line == f'{version} needs the backbone options {options}'
            for line in lines), lines
        checkpoint = load_checkpoint(dst)
        if num_classes == 1000:
            assert checkpoint['meta'] == config_meta()
        src.unlink()
{%- if cookiecutter.openmmlab == '1.x' %}
        for eps, atol in ATOL.items():
            model = classifier(
                checkpoint,
                arch,
                num_classes,
                downsample_norm_eps=eps,
                **VERSIONS[version])
            with torch.no_grad():
                actual = logits(model, images)
            torch.testing.assert_close(actual, expected, rtol=0, atol=atol)
{%- else %}
        model = classifier(checkpoint, arch, num_classes, **VERSIONS[version])
        with torch.no_grad():
            actual = logits(model, images)
        torch.testing.assert_close(actual, expected, rtol=0, atol=ATOL)
{%- endif %}
        del model, checkpoint
        dst.unlink()
        gc.collect()


def docs_override():
    """The ``--cfg-options`` that the docs give for a backbone-only
    checkpoint, in both languages."""
    pattern = r'--cfg-options (model\.backbone\.init_cfg\.checkpoint)=(\S+)'
    overrides = {
        language: re.findall(pattern, docs_text(language))
        for language in ('en', 'zh_cn')
    }
    assert overrides['en'] and overrides['en'] == overrides['zh_cn'], \
        overrides
    return overrides['en'][0]
{%- set downstream = ['det', 'seg'] | select('in', cookiecutter.__tasks.split(',')) | list %}
{%- if downstream %}


@pytest.mark.parametrize('task', {{ downstream }})
def test_backbone_only_checkpoint_starts_the_downstream_configs(
        tmp_path, capsys, task):
    # tiny, the real configs' preset.
    src = save_as(
        timm_model('convnext_tiny').state_dict(), tmp_path / 'tiny.pth')
    dst = tmp_path / 'backbone.pth'
    lines = convert(capsys, src, dst, '--backbone-only')
    assert 'no classifier: backbone only' in lines
    state_dict = load_checkpoint(dst)['state_dict']
    assert state_dict and all(
        key.startswith('backbone.') for key in state_dict)
    key, value = docs_override()
    [config] = [
        path for path in (PROJECT_ROOT / 'configs' / task).glob('*.py')
        if '_toy-' not in path.name
    ]
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict({key: str(dst)})
    backbone = build_backbone(cfg.model.backbone)
    backbone.init_weights()
    loaded = backbone.state_dict()
    for name, tensor in state_dict.items():
        torch.testing.assert_close(
            loaded[name[len('backbone.'):]], tensor, rtol=0, atol=0)
{%- endif %}


@pytest.fixture(scope='module')
def atto_weights():
    """timm's ConvNeXt-atto state_dict."""
    return timm_model('convnext_atto').state_dict()


def refusal(capsys, src, dst, *options):
    """The one line that the converter refuses with; DST is unchanged."""
    before = dst.read_bytes() if dst.exists() else None
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        converter.main([str(src), str(dst), *options])
    assert exit_info.value.code == 1
    output = capsys.readouterr()
    assert output.out == ''
    [line] = output.err.splitlines()
    assert (dst.read_bytes() if dst.exists() else None) == before
    # Nothing else was written beside DST either.
    assert {path.name for path in dst.parent.iterdir()} <= {src.name, dst.name}
    return line


def added(key, *shape):
    return lambda state_dict: state_dict.update({key: torch.ones(shape)})


def removed(prefix):
    return lambda state_dict: [
        state_dict.pop(key) for key in list(state_dict)
        if key.startswith(prefix)
    ]


#: What is changed in timm's ConvNeXt-atto weights, and what the refusal
#: says.
CHANGES = {
    'unknown-key': added('norm_pre.weight', 320),
    'stage-0-downsample': added('stages.0.downsample.0.weight', 40),
    'missing-key': removed('stages.2.blocks.3.mlp.fc2.bias'),
    'no-classifier': removed('head.fc.'),
    'no-preset': removed('stages.2.blocks.5.'),
    'shape': added('stem.0.weight', 40, 3, 3, 3),
}
ERRORS = {
    'unknown-key': "unknown key 'norm_pre.weight'",
    'stage-0-downsample': "unknown key 'stages.0.downsample.0.weight'",
    'missing-key': "missing key 'stages.2.blocks.3.mlp.fc2.bias'",
    'no-classifier': "missing key 'head.fc.weight'",
    'no-preset': 'depths [2, 2, 5, 2] and channels [40, 80, 160, 320]',
    'shape': "'stem.0.weight' has shape (40, 3, 3, 3); ConvNeXt-atto",
}


@pytest.mark.parametrize(
    'dst_exists', [False, True], ids=['new-dst', 'existing-dst'])
@pytest.mark.parametrize('case', list(CHANGES))
def test_refusals_name_the_problem_and_write_nothing(tmp_path, capsys,
                                                     atto_weights, case,
                                                     dst_exists):
    state_dict = dict(atto_weights)
    CHANGES[case](state_dict)
    src = save_as(state_dict, tmp_path / 'weights.bin')
    dst = tmp_path / 'converted.pth'
    if dst_exists:
        dst.write_bytes(b'an earlier checkpoint')
    line = refusal(capsys, src, dst)
    assert line.startswith(f'{converter.build_parser().prog}: error: ')
    assert ERRORS[case] in line, line


def test_refuses_a_file_that_is_no_state_dict(tmp_path, capsys):
    dst = tmp_path / 'converted.pth'
    for name, content in (('junk.safetensors', b'not safetensors'),
                          ('junk.pth', b'not a torch file')):
        src = tmp_path / name
        src.write_bytes(content)
        assert f'{src}: not a state_dict file' in refusal(capsys, src, dst)
        src.unlink()
    src = tmp_path / 'checkpoint.pth'
    torch.save(dict(epoch=3, state_dict={}), src)
    assert f"{src}: 'epoch' is not a tensor (int)" in refusal(capsys, src, dst)


def test_a_failed_write_leaves_dst_as_it_was(tmp_path, capsys, atto_weights,
                                             monkeypatch):
    src = save_as(atto_weights, tmp_path / 'atto.safetensors')
    dst = tmp_path / 'converted.pth'
    dst.write_bytes(b'an earlier checkpoint')

    def save_half(obj, file):
        file.write(b'half a checkpoint')
        raise OSError('No space left on device')

    monkeypatch.setattr(converter.torch, 'save', save_half)
    with pytest.raises(OSError, match='No space left'):
        converter.main([str(src), str(dst)])
    assert dst.read_bytes() == b'an earlier checkpoint'
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        'atto.safetensors', 'converted.pth'
    ]


def test_the_command_as_the_docs_print_it(tmp_path, atto_weights):
    # The converter's own process: one line on a refusal too.
    src = save_as(atto_weights, tmp_path / 'atto.safetensors')
    command = [sys.executable, CONVERTER, str(src), str(tmp_path / 'a.pth')]
    assert CONVERTER in docs_text('en') and CONVERTER in docs_text('zh_cn')
    # As after ``export PYTHONPATH=$(pwd)``.
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    run = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.splitlines()[-1].startswith(
        f'wrote {tmp_path / "a.pth"}: ')
    (tmp_path / 'bad.safetensors').write_bytes(b'junk')
    command[2] = str(tmp_path / 'bad.safetensors')
    run = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 1 and run.stdout == ''
    errors = [line for line in run.stderr.splitlines() if 'error:' in line]
    assert errors == [run.stderr.splitlines()[-1]], run.stderr[-3000:]
