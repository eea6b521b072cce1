"""Which files of the corpus folder a sync reads, and why it leaves out the others.

Every entry under the folder is a file to read, hidden (a dot starts its name or a folder's:
left out quietly, as everywhere on Unix), or reported with its reason: unsupported types,
folders named like documents, links that lead nowhere or outside the corpus folder, links to a
file that is indexed under its own name, and anything that is not a regular file. A link is followed only when it resolves
inside the corpus folder; the document is then indexed under the name of the file it points to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from index.readers import SUPPORTED_EXTENSIONS, unsupported_type


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)  # resolved, inside the corpus folder, sorted
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path under the corpus folder, reason)


def _check(path: Path, rel: Path, corpus_root: Path) -> tuple[Path | None, str]:
    """(the file to read, "") or (None, why not)."""
    if any(part.startswith(".") for part in rel.parts):
        return None, ""  # hidden (.git, .DS_Store, an editor's swap file): not the user's documents
    target = path
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return None, "a link to nothing that exists (or a loop of links)"
        if corpus_root not in target.parents:
            return None, "a link to outside the corpus folder: links are followed only inside it"
        if target.is_dir():
            return None, "a link to a folder: not followed"
    elif path.is_dir():
        return None, "a folder named like a document" if path.suffix.lower() in SUPPORTED_EXTENSIONS else ""
    if not target.is_file():
        return None, "not a regular file"
    if target.suffix.lower() not in SUPPORTED_EXTENSIONS:
        return None, unsupported_type(target.suffix.lower())
    return target.resolve(), ""


def discover(corpus_root: Path, paths: list[Path] | None = None) -> Discovery:
    """The files to read under the corpus root (or under the given paths inside it)."""
    corpus_root = corpus_root.resolve()
    found: dict[Path, Path] = {}  # file to read → the entry it was found by
    links: list[tuple[Path, Path]] = []
    out = Discovery()
    for root in paths or [corpus_root]:
        entries = [root] if not root.is_dir() or root.is_symlink() else sorted(root.rglob("*"))
        for path in entries:
            rel = path.relative_to(corpus_root)
            target, reason = _check(path, rel, corpus_root)
            if target is None:
                if reason:
                    out.skipped.append((rel.as_posix(), reason))
            elif path.is_symlink():
                links.append((rel, target))
            else:
                found[target] = rel
    for rel, target in links:  # a file found by its own name wins over a link to it
        if target in found:
            out.skipped.append((rel.as_posix(), f"a link to {found[target].as_posix()}, indexed under that name"))
        else:
            found[target] = rel
    out.files = sorted(found)
    return out
