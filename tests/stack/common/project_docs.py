"""The project's docs: the README and docs/, and the commands they print.

Shared by the stack checks of every OpenMMLab generation.
"""
import re
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def docs_of(language='en'):
    """The README and the docs of one language, README first.

    Args:
        language (str): ``en`` or ``zh_cn``.

    Returns:
        list[Path]: The files.
    """
    readme = 'README.md' if language == 'en' else 'README_zh-CN.md'
    return [PROJECT_ROOT / readme] + sorted(
        (PROJECT_ROOT / 'docs' / language).glob('*.md'))


def docs_text(language='en'):
    """The README and the docs of one language, as one text."""
    return '\n'.join(
        path.read_text(encoding='utf-8') for path in docs_of(language))


def readme_code(section, language='en'):
    """The lines of the bash block in a marked section of the docs.

    Args:
        section (str): The name in ``<!-- section:start -->`` and
            ``<!-- section:end -->``, in the README or a file of docs/.
        language (str): ``en`` or ``zh_cn``.

    Returns:
        list[str]: The block's lines; none if no file has the section.
    """
    start = f'<!-- {section}:start -->'
    for path in docs_of(language):
        text = path.read_text(encoding='utf-8')
        if start in text:
            block = text.split(start)[1].split(f'<!-- {section}:end -->')[0]
            return block.split('```bash')[1].split('```')[0].splitlines()
    return []


def readme_commands(section, language='en'):
    """The commands of a marked section, without blank lines and comments.

    Args:
        section (str): As for :func:`readme_code`: ``try-it`` ("Try it in 5
            minutes"), ``look`` (the data and the predictions), ...
        language (str): ``en`` or ``zh_cn``.

    Returns:
        list[str]: The commands, one per line.
    """
    return [
        line.strip() for line in readme_code(section, language)
        if line.strip() and not line.lstrip().startswith('#')
    ]


def readme_heading_commands(heading):
    """The commands of the first bash block under a heading of the README.

    Args:
        heading (str): The heading's text, e.g. ``Train and test``.

    Returns:
        list[str]: The block's commands, without blank lines and comments.
    """
    text = (PROJECT_ROOT / 'README.md').read_text(encoding='utf-8')
    parts = re.split(rf'^## {re.escape(heading)}\n', text, flags=re.M)
    assert len(parts) == 2, f'the README has no "## {heading}"'
    block = parts[1].split('\n## ')[0].split('```bash')[1].split('```')[0]
    return [
        line.split('  #')[0].strip() for line in block.splitlines()
        if line.strip() and not line.lstrip().startswith('#')
    ]


def readme_launcher_line(toolbox, tool, launcher):
    """The README's ``mim <tool> <toolbox>`` line with ``--launcher``."""
    lines = [
        line for line in readme_heading_commands('Train and test')
        if line.startswith(f'mim {tool} {toolbox} ')
        and f' --launcher {launcher}' in line
    ]
    assert len(lines) == 1, f'README lines of {tool} {toolbox} with ' \
        f'--launcher {launcher}: {lines}'
    return lines[0]
