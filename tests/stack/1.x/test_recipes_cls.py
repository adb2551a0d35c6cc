"""The classification recipe decays the weights as ConvNeXt's does."""
import pytest
from mmcls.models import build_classifier
from mmcv import Config
from mmcv.runner import build_optimizer
from project_docs import PROJECT_ROOT


@pytest.mark.parametrize(
    'config',
    sorted((PROJECT_ROOT / 'configs' / 'cls').glob('*.py')),
    ids=lambda p: p.name)
def test_cls_recipe_decays_no_1d_parameter(config, param_groups_by_name):
    # The ConvNeXt recipe: norms, biases and layer scales without decay.
    cfg = Config.fromfile(str(config))
    model = build_classifier(cfg.model)
    optimizer = build_optimizer(model, cfg.optimizer)
    decayed = {
        name: group['weight_decay'] > 0
        for name, group in param_groups_by_name(model, optimizer).items()
    }
    assert decayed == {
        name: param.ndim > 1
        for name, param in model.named_parameters()
    }
