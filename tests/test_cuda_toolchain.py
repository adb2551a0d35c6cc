"""mmcv's CUDA ops from ``tools/install.sh``, without a GPU and without mmcv.

A CUDA build of mmcv takes far too long for these tests, so they check its
parts, through ``tools/cuda_env.sh``, which the installer sources:

- the toolchain it sets up (nvcc of torch's CUDA version, the headers of
  torch's ``nvidia-*`` wheels) compiles and links a small PyTorch CUDA
  extension for sm_90 against the installed torch, with device code in it;
- nvcc and its headers from PyPI, where no nvcc is installed;
- the one line of each refusal (an nvcc of another CUDA version, no release
  on the index, no architecture to build for);
- the wheel that the installer asks for: CPU ops and CUDA ops for given
  architectures are told apart by the version, in each generation.

The toolchain is the same file in both generations: one bake checks it.
"""
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from generations import GENERATIONS

#: A kernel that needs torch's CUDA headers: ATen/cuda/CUDAContext.h
#: includes cuBLAS's and cuSPARSE's, which a bare nvcc does not have.
EXTENSION = r"""
#include <ATen/cuda/CUDAContext.h>
#include <torch/extension.h>

__global__ void add_one_kernel(float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] += 1.0f;
}

void add_one(torch::Tensor x) {
  int n = x.numel();
  add_one_kernel<<<(n + 255) / 256, 256, 0,
                   at::cuda::getCurrentCUDAStream()>>>(x.data_ptr<float>(), n);
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) { m.def("add_one", &add_one); }
"""
BUILD = """
import sys
from torch.utils.cpp_extension import load
load('add_one', [sys.argv[1]], build_directory=sys.argv[2])
"""
#: A kernel built by nvcc alone, linked against the shared libcudart.
KERNEL = r"""
#include <cusparse.h>

__global__ void add_one_kernel(float *x) { x[threadIdx.x] += 1.0f; }

int launch(float *x) {
  add_one_kernel<<<1, 32>>>(x);
  return cudaGetLastError();
}
"""
TORCH_CUDA = torch.version.cuda
NVCC_STUB = """#!/bin/sh
echo 'Cuda compilation tools, release 12.4, V12.4.131'
"""


@pytest.fixture(scope='module')
def project(cookies_session):
    result = cookies_session.bake()
    assert result.exception is None, result.exception
    return Path(result.project_path)


def cuda_env(project, script, **variables):
    """Run ``script`` in bash after sourcing the project's cuda_env.sh.

    The bash runs as in ``tools/install.sh`` (``set -euo pipefail``), with
    this Python's torch and no ``CUDA_HOME`` unless ``variables`` sets one.

    Returns:
        subprocess.CompletedProcess: The run, its output captured as text.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ('CUDA_HOME', 'CUDA_PATH', 'FORCE_CUDA',
                       'TORCH_CUDA_ARCH_LIST', 'CUDA_FROM_PYPI', 'CPATH')
    }
    # This Python's bin first, for ninja, as in its activated environment.
    env['PATH'] = f'{Path(sys.executable).parent}:{env["PATH"]}'
    env.update(PYTHON=sys.executable, MAX_JOBS='1', **variables)
    return subprocess.run([
        'bash', '-c', f'set -euo pipefail; source tools/cuda_env.sh\n{script}'
    ],
                          cwd=project,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=900)


def device_code(library):
    """The device code that a shared library carries.

    Reads its ``.nv_fatbin`` section (readelf gives where), whose entries
    are cubins (ELF) and PTX, each for one architecture, as ``cuobjdump
    --list-elf`` lists them.

    Returns:
        set: ``('elf', 'sm_90')``, ``('ptx', 'sm_90')``, ...
    """
    sections = subprocess.run(['readelf', '-S', '-W', library],
                              capture_output=True,
                              text=True,
                              check=True).stdout
    line = next(
        (line for line in sections.splitlines() if ' .nv_fatbin ' in line),
        None)
    assert line is not None, f'no .nv_fatbin section in {library}'
    _, _, _, offset, size = line.split(']')[1].split()[:5]
    data = Path(library).read_bytes()[int(offset, 16):][:int(size, 16)]
    code, position = set(), 0
    while position + 16 <= len(data):
        magic, _, header, size = struct.unpack_from('<IHHQ', data, position)
        if magic != 0xBA55ED50:
            break
        entry, end = position + header, position + header + size
        while entry < end:
            kind, _, entry_header, payload = struct.unpack_from(
                '<HHIQ', data, entry)
            arch = struct.unpack_from('<I', data, entry + 28)[0]
            code.add(({1: 'ptx', 2: 'elf'}[kind], f'sm_{arch}'))
            entry += entry_header + payload
        position = end
    return code


def test_the_toolchain_builds_a_torch_cuda_extension(project, tmp_path):
    source = tmp_path / 'add_one.cu'
    source.write_text(EXTENSION)
    (tmp_path / 'build.py').write_text(BUILD)
    (tmp_path / 'build').mkdir()
    run = cuda_env(project, f'cuda_ops\necho "OPS=$OPS"\ncuda_toolchain\n'
                   f'"$PYTHON" {tmp_path}/build.py {source} {tmp_path}/build',
                   FORCE_CUDA='1',
                   TORCH_CUDA_ARCH_LIST='9.0')
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    assert f"OPS=CUDA ops for sm_90 (torch's CUDA {TORCH_CUDA})" in run.stdout
    assert f'[cuda] nvcc {TORCH_CUDA} in ' in run.stdout
    assert device_code(tmp_path / 'build' / 'add_one.so') == {('elf', 'sm_90')}


def test_nvcc_from_pypi_builds_and_links(project, tmp_path):
    """CUDA_FROM_PYPI=1 does what a machine without nvcc does."""
    (tmp_path / 'kernel.cu').write_text(KERNEL)
    toolkit = tmp_path / 'cuda'
    run = cuda_env(project, 'cuda_toolchain\n'
                   'nvcc -shared -Xcompiler -fPIC -cudart shared '
                   '-gencode=arch=compute_90,code=sm_90 '
                   f'{tmp_path}/kernel.cu -o {tmp_path}/kernel.so',
                   CUDA_FROM_PYPI='1',
                   CUDA_PYPI_DIR=str(toolkit))
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    assert f'[cuda] nvcc {TORCH_CUDA} in {toolkit};' in run.stdout
    for folder in ('bin', 'include', 'lib', 'lib64', 'nvvm'):
        assert (toolkit / folder).is_dir(), folder
    assert (toolkit / 'lib64' / 'libcudart.so').exists()
    assert device_code(tmp_path / 'kernel.so') == {('elf', 'sm_90')}
    needed = subprocess.run(['readelf', '-d', tmp_path / 'kernel.so'],
                            capture_output=True,
                            text=True,
                            check=True).stdout
    assert 'libcudart.so.' in needed


def test_an_nvcc_of_another_cuda_is_refused(project, tmp_path):
    (tmp_path / 'nvcc').write_text(NVCC_STUB)
    (tmp_path / 'nvcc').chmod(0o755)
    run = cuda_env(project,
                   'cuda_toolchain',
                   PATH=f'{tmp_path}:{os.environ["PATH"]}')
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stderr.strip() == (
        f'cuda_env.sh: error: {tmp_path}/nvcc is CUDA 12.4, torch '
        f'{torch.__version__} is built with CUDA {TORCH_CUDA}: they must '
        f"match in major.minor; put CUDA {TORCH_CUDA}'s nvcc on PATH or in "
        'CUDA_HOME, or set CUDA_FROM_PYPI=1 to take it from PyPI')


def test_no_release_on_the_index_is_refused(project, tmp_path):
    """An index without the CUDA of torch stops it in one line."""
    index = tmp_path / 'index'
    index.mkdir()
    run = cuda_env(project,
                   'cuda_toolchain',
                   CUDA_FROM_PYPI='1',
                   CUDA_PYPI_DIR=str(tmp_path / 'cuda'),
                   PIP_INDEX_URL=index.as_uri(),
                   PIP_EXTRA_INDEX_URL='',
                   PIP_FIND_LINKS='',
                   PIP_CONFIG_FILE=os.devnull)
    assert run.returncode == 1, run.stdout + run.stderr
    packages = ' '.join(f'{name}=={TORCH_CUDA}.*'
                        for name in ('nvidia-cuda-nvcc', 'nvidia-cuda-crt',
                                     'nvidia-nvvm', 'nvidia-cuda-cccl',
                                     'nvidia-cuda-runtime'))
    assert run.stderr.strip() == (
        f"cuda_env.sh: error: PyPI has no nvcc release for torch's CUDA "
        f"{TORCH_CUDA} ({packages}): install CUDA {TORCH_CUDA}'s nvcc and "
        'set CUDA_HOME')
    assert not (tmp_path / 'cuda').exists()


@pytest.mark.parametrize('arch_list, error', [
    (None, 'no GPU here to read the architectures from: set '
     "TORCH_CUDA_ARCH_LIST to your GPUs' compute capabilities, e.g. "
     'TORCH_CUDA_ARCH_LIST="8.0;9.0"'),
    ('8.0;Hopper', 'TORCH_CUDA_ARCH_LIST="8.0;Hopper": \'Hopper\' is not a '
     'compute capability such as 8.0, 9.0a or 9.0+PTX'),
])
def test_cuda_ops_without_architectures_are_refused(project, arch_list, error):
    variables = {'FORCE_CUDA': '1'}
    if arch_list is not None:
        variables['TORCH_CUDA_ARCH_LIST'] = arch_list
    run = cuda_env(project, 'cuda_ops', **variables)
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stderr.strip() == f'cuda_env.sh: error: {error}'


def fake_wheel(folder, package, version):
    """An empty wheel of ``package`` ``version``, for pip to choose."""
    name = package.replace('-', '_')
    info = f'{name}-{version}.dist-info'
    path = folder / f'{name}-{version}-py3-none-any.whl'
    with zipfile.ZipFile(path, 'w') as wheel:
        wheel.writestr(
            f'{info}/METADATA', 'Metadata-Version: 2.1\n'
            f'Name: {package}\nVersion: {version}\n')
        wheel.writestr(
            f'{info}/WHEEL', 'Wheel-Version: 1.0\n'
            'Root-Is-Purelib: true\nTag: py3-none-any\n')
        wheel.writestr(f'{info}/RECORD', '')
    return path


def download(requirement, wheels, into):
    """What pip takes for ``requirement`` from ``wheels`` alone.

    Without the folders of ``PIP_FIND_LINKS`` (CI's prebuilt wheels), whose
    real wheels pip would prefer to the fakes in ``wheels``.
    """
    env = {
        key: value
        for key, value in os.environ.items() if key != 'PIP_FIND_LINKS'
    }
    return subprocess.run([
        sys.executable, '-m', 'pip', 'download', '--disable-pip-version-check',
        '--no-deps', '--no-index', '--find-links', wheels, '-d', into,
        requirement
    ],
                          env=env,
                          capture_output=True,
                          text=True)


@pytest.mark.parametrize('generation', GENERATIONS)
def test_the_installer_takes_only_the_wheel_of_its_ops(cookies, tmp_path,
                                                       generation):
    """CPU ops and CUDA ops for given architectures have wheels of their own.

    Beside a wheel of each, the installer's requirement takes the one it
    asks for; beside the others only, none.
    """
    result = cookies.bake(extra_context={'openmmlab': generation})
    assert result.exception is None, result.exception
    project = Path(result.project_path)
    install = (project / 'tools' / 'install.sh').read_text()
    package = install.split('\nMMCV_PACKAGE=')[1].split()[0]
    version = install.split('\nMMCV_VERSION=')[1].split()[0]
    assert (package, version) == {
        '1.x': ('mmcv-full', '1.7.2'),
        '2.x': ('mmcv', '2.1.0')
    }[generation]
    cuda = f'cu{TORCH_CUDA.replace(".", "")}'
    builds = {
        'CPU ops': ({}, version),
        'CUDA ops for sm_80, sm_90': ({
            'FORCE_CUDA': '1',
            'TORCH_CUDA_ARCH_LIST': '9.0 8.0'
        }, f'{version}+{cuda}.sm80.sm90'),
        'CUDA ops for sm_90': ({
            'FORCE_CUDA': '1',
            'TORCH_CUDA_ARCH_LIST': '9.0'
        }, f'{version}+{cuda}.sm90'),
    }
    for number, (ops, (variables, wanted)) in enumerate(builds.items()):
        run = cuda_env(
            project, 'cuda_ops\necho "$OPS"\n'
            f'mmcv_requirement {package} {version}', **variables)
        assert run.returncode == 0, run.stdout + run.stderr
        said, requirement = run.stdout.splitlines()
        assert said.startswith(ops + ' ('), said
        every = tmp_path / f'every-{number}'
        others = tmp_path / f'others-{number}'
        for folder in (every, others):
            folder.mkdir()
            for _, version_built in builds.values():
                fake_wheel(folder, package, version_built)
        fake_wheel(others, package, wanted).unlink()
        taken = tmp_path / f'taken-{number}'
        run = download(requirement, every, taken)
        assert run.returncode == 0, run.stdout + run.stderr
        assert [path.name for path in taken.iterdir()
                ] == [fake_wheel(tmp_path, package, wanted).name]
        run = download(requirement, others, taken)
        assert run.returncode != 0, run.stdout
        assert 'No matching distribution' in run.stderr, run.stderr
        assert requirement == f'{package}==={wanted}'
