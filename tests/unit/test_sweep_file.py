"""The sweep file: jobs built from the commands' own option names, and every mistake caught
before anything runs (one line naming the fix, exit code 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from babelscope.cli.main import main
from babelscope.cli.sweeps import read_sweep
from babelscope.distributed import plan as sweep_file
from babelscope.distributed.plan import Kind
from babelscope.errors import ConfigError

RANK = '[[analysis]]\nkind = "rank"\ndata = "flores200:/data"\n'


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_jobs_use_the_commands_option_names(tmp_path: Path) -> None:
    text = 'models = ["gemma-3-270m", "org/name@v1"]\ndevice = "cpu"\n'
    text += RANK + 'languages = ["fra_Latn", "deu_Latn"]\nsentences = 50\nno-text-metrics = true\n'
    text += 'no_report = false\n[[analysis]]\nkind = "latent"\n'
    text += 'pair = ["translation:fra_Latn:zho_Hans", "cloze:spa_Latn:spa_Latn"]\n'
    text += '[[analysis]]\nkind = "demo"\nmax_prompts = 5\n'
    sweep = read_sweep(_write(tmp_path, text), out=tmp_path / "out")
    names = [job.folder.name for job in sweep.jobs]
    assert names == [
        "rank-gemma-3-270m",
        "rank-name-v1",
        "latent-gemma-3-270m",
        "latent-name-v1",
        "demo",
    ]
    rank = sweep.jobs[1].argv
    assert rank[:3] == ("rank", "--model", "org/name@v1")
    assert rank[3:] == (
        *("--data", "flores200:/data", "--languages", "fra_Latn,deu_Latn"),
        *("--sentences", "50", "--no-text-metrics", "--device", "cpu"),
        *("--out", str(tmp_path / "out" / "rank-name-v1")),
    )  # a list joins with commas; a false flag adds nothing; the sweep's device is added
    latent = sweep.jobs[2].argv
    assert latent.count("--pair") == 2  # an append option repeats
    demo = sweep.jobs[4]
    assert demo.model is None and "--model" not in demo.argv and "--max-prompts" in demo.argv


def test_a_new_kind_is_one_registry_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sweep_file.KINDS, "patching", Kind("patch"))
    text = 'models = ["m"]\n[[analysis]]\nkind = "patching"\nprompts = 8\nbatch_size = 4\n'
    (job,) = read_sweep(_write(tmp_path, text), out=tmp_path).jobs
    assert job.argv[:5] == ("patch", "--model", "m", "--prompts", "8")
    assert job.folder.name == "patching-m"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('model = ["m"]\n' + RANK, "unknown top-level key 'model'"),
        ('models = ["m"]\n[[analysis]]\nkind = "ranks"\n', "unknown kind 'ranks'"),
        ('models = ["m"]\n' + RANK + "sentence = 5\n", "unknown option 'sentence'"),
        ('models = ["m"]\n' + RANK + 'model = "x"\n', "the sweep sets 'model'"),
        ('models = ["m"]\n' + RANK + 'no_report = "yes"\n', "no_report is a flag"),
        ('models = ["m"]\n' + RANK + 'sentences = "many"\n', "invalid int value"),
        ('models = ["m"]\n' + RANK + 'normalization = "zscore"\n', "invalid choice"),
        ('models = ["m", "m"]\n' + RANK, "listed twice"),
        ('models = ["m"]\n' + RANK + RANK, "two jobs would write"),
        ('models = ["m"]\ndevice = "cuda"\n' + RANK, "CUDA is not available"),
        ('models = ["m"]\n' + RANK + 'dtype = "int8"\n', "unknown dtype"),
        ("models = [\n", "not valid TOML"),
        ('models = ["m"]\n', "no [[analysis]] table"),
    ],
)
def test_mistakes_fail_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, words: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        read_sweep(path)
    assert words in str(caught.value)
    out = tmp_path / "never"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("babelscope: error:") and "\n" not in err and " — " in err
    assert not out.exists()  # nothing ran, nothing was written


def test_ray_executor_is_not_imported_by_the_local_path() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import babelscope.cli.cmd_sweep, babelscope.distributed.local; "
        "print('ray' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_job_stderr_passes_through_streams_that_return_none() -> None:
    from babelscope.distributed.jobs import _Tee

    class RayLikeStream:  # Ray's worker streams return None from write
        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> None:
            self.text += text

    stream = RayLikeStream()
    tee = _Tee(stream)
    assert tee.write("babelscope: error: bad — fix it\n") == 32
    assert stream.text.startswith("babelscope: error") and tee.last_error().endswith("fix it")


def test_sib_and_steer_tables_take_their_commands_options(tmp_path: Path) -> None:
    text = 'models = ["m"]\n[[analysis]]\nkind = "sib"\ndata = "sib200:/d"\n'
    text += 'languages = ["fra_Latn"]\ntrain-per-label = 16\nprompted-sentences = 0\n'
    text += '[[analysis]]\nkind = "steer"\ndata = "flores200:/f"\ntarget = "fra_Latn"\n'
    text += 'method = "diffmean"\nalpha = "1,2"\n'
    sib, steer = read_sweep(_write(tmp_path, text), out=tmp_path).jobs
    assert sib.argv[:3] == ("sib", "--model", "m") and "--train-per-label" in sib.argv
    assert steer.argv[:3] == ("steer", "--model", "m") and steer.folder.name == "steer-m"
    assert steer.argv[steer.argv.index("--alpha") + 1] == "1,2"
