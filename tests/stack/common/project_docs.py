"""The project's docs: the README and docs/, and the commands they print.

Shared by the stack checks of every OpenMMLab generation.
"""
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
