"""Experts from the Hub (offline, from a cache in the Hub's own layout) and publishing agents."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import yaml
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize

from sb3_aggrevated import PPOExpert
from sb3_aggrevated.experts import load_expert
from sb3_aggrevated.hub import package_agent
from tests.conftest import expert_path
from tests.test_zoo import needs_install

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def make_hub_cache(cache: Path, repo_id: str, files: dict[str, Path]) -> Path:
    """A Hugging Face Hub cache holding ``files`` for ``repo_id``, as huggingface_hub writes it."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / COMMIT
    snapshot.mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(COMMIT)
    for name, src in files.items():
        (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, snapshot / name)
    return snapshot


@pytest.fixture
def offline_hub(tmp_path, monkeypatch):
    import huggingface_hub.constants

    cache = tmp_path / "hub-cache"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("SB3_AGGREVATED_EXPERTS", "")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    return cache


def test_expert_by_hub_id_from_the_cache_offline(experts, offline_hub):
    src = expert_path(experts, "ppo", "BipedalWalker-v3")
    make_hub_cache(
        offline_hub,
        "sb3/ppo-BipedalWalker-v3",
        {
            "ppo-BipedalWalker-v3.zip": src / "BipedalWalker-v3.zip",
            "vec_normalize.pkl": src / "BipedalWalker-v3" / "vecnormalize.pkl",
            "config.yml": src / "BipedalWalker-v3" / "config.yml",
            # rl_zoo3's push_to_hub uploads its logs beside the model, and its load_from_hub fetches them
            "train_eval_metrics.zip": src / "BipedalWalker-v3.zip",
        },
    )
    expert = load_expert("sb3/ppo-BipedalWalker-v3", gym.make("BipedalWalker-v3"))
    assert expert.kind == "v" and expert.obs_normalizer is not None and expert.value_scale > 1
    obs = np.stack([gym.make("BipedalWalker-v3").reset(seed=0)[0]])
    assert np.isfinite(expert.value(obs)).all()


def test_hub_id_neither_online_nor_cached_names_id_and_cache(offline_hub):
    with pytest.raises(FileNotFoundError) as info:
        load_expert("sb3/sac-Pendulum-v1", gym.make("Pendulum-v1"))
    assert "'sb3/sac-Pendulum-v1'" in str(info.value) and str(offline_hub) in str(info.value)


def _zoo_run(tmp_path: Path, expert) -> Path:
    """A tiny PPOExpert run written in rl_zoo3's layout (logs/ppo_expert/Pendulum-v1_1)."""
    run = tmp_path / "logs" / "ppo_expert" / "Pendulum-v1_1"
    (run / "Pendulum-v1").mkdir(parents=True)
    hp = dict(n_steps=64, batch_size=64, n_epochs=1, policy_kwargs=dict(net_arch=[8]), beta=0.3, bc_coef=0.5)
    env = VecNormalize(make_vec_env("Pendulum-v1", n_envs=2, seed=0), gamma=0.99)
    model = PPOExpert("TanhMlpPolicy", env, expert=expert, seed=0, **hp)
    model.learn(256)
    model.save(run / "Pendulum-v1.zip")
    env.save(run / "Pendulum-v1" / "vecnormalize.pkl")
    (run / "0.monitor.csv").write_text('#{"t_start": 0.0, "env_id": "Pendulum-v1"}\nr,l,t\n-1200.0,200,1.0\n')
    np.savez(run / "evaluations.npz", timesteps=np.array([256]), results=np.array([[-1200.0]]))
    config = OrderedDict(
        [
            ("expert", str(expert)),
            ("n_envs", 2),
            ("n_timesteps", 256),
            ("normalize", True),
            ("policy", "TanhMlpPolicy"),
            *hp.items(),
        ]
    )
    (run / "Pendulum-v1" / "config.yml").write_text(yaml.dump(config))
    (run / "Pendulum-v1" / "args.yml").write_text(
        yaml.dump(OrderedDict([("algo", "ppo_expert"), ("env", "Pendulum-v1"), ("env_kwargs", None)]))
    )
    return run


def test_package_agent_files_card_and_load_back(experts, tmp_path):
    expert = expert_path(experts, "sac", "Pendulum-v1")
    _zoo_run(tmp_path, expert)
    out = tmp_path / "package"
    results = package_agent("Pendulum-v1", tmp_path / "logs", out, organization="me", n_eval_episodes=3, video_length=50)
    names = {p.name for p in out.iterdir()}
    assert (out / "replay.mp4").stat().st_size > 1000  # rendering and encoding work on these machines
    assert {
        "ppo_expert-Pendulum-v1.zip",
        "vec_normalize.pkl",
        "config.yml",
        "args.yml",
        "env_kwargs.yml",
        "train_eval_metrics.zip",
        "results.json",
        "README.md",
    } <= names
    with zipfile.ZipFile(out / "train_eval_metrics.zip") as metrics:  # the training and evaluation curves
        assert sorted(metrics.namelist()) == ["0.monitor.csv", "evaluations.npz"]
    saved = json.loads((out / "results.json").read_text())
    assert saved == results and saved["expert"]["id"] == str(expert) and saved["n_rollouts"] == 2
    assert saved["expert"]["mean_reward"] > saved["mean_reward"]  # a 256-step learner is far from the SAC expert
    card = (out / "README.md").read_text()
    for field in (
        "PPOExpert",
        "Pendulum-v1",
        str(expert),
        f"{saved['expert']['mean_reward']:.2f}",
        f"{saved['mean_reward']:.2f}",
        "'beta': 0.3",
        "'bc_coef': 0.5",
        "mean_reward",
        "rl_zoo3.load_from_hub --algo ppo_expert --env Pendulum-v1 -orga me -f logs/",
        "256 env steps in its last training\n  call (2 rollouts in all",
    ):
        assert field in card, field
    # the expert is not inside: the zip is the size of a PPO model of this size
    assert (out / "ppo_expert-Pendulum-v1.zip").stat().st_size < 100_000
    loaded = PPOExpert.load(out / "ppo_expert-Pendulum-v1.zip")
    assert loaded.expert is None and loaded.predict(np.zeros((1, 3), dtype=np.float32))[0].shape == (1, 1)


@needs_install
def test_published_agent_loads_back_with_rl_zoo3(experts, tmp_path):
    _zoo_run(tmp_path, expert_path(experts, "sac", "Pendulum-v1"))
    out = tmp_path / "package"
    package_agent("Pendulum-v1", tmp_path / "logs", out, organization="me", n_eval_episodes=2)
    # what upload_folder would put on the Hub, served from the local cache (no network here)
    cache = tmp_path / "hub-cache"
    make_hub_cache(cache, "me/ppo_expert-Pendulum-v1", {p.name: p for p in out.iterdir() if p.is_file()})
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache), "TRUST_REMOTE_CODE": "True"}
    env.pop("PYTHONPATH", None)
    for args in (
        ["-m", "rl_zoo3.load_from_hub", "--algo", "ppo_expert", "--env", "Pendulum-v1", "-orga", "me", "-f", "downloaded"],
        [
            "-m",
            "rl_zoo3.enjoy",
            "--algo",
            "ppo_expert",
            "--env",
            "Pendulum-v1",
            "-f",
            "downloaded",
            "-n",
            "300",
            "--no-render",
        ],
    ):
        proc = subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "downloaded" / "ppo_expert" / "Pendulum-v1_1" / "Pendulum-v1.zip").is_file()


@needs_install
def test_rl_zoo3_push_to_hub_imports(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-m", "rl_zoo3.push_to_hub", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ppo_expert" in proc.stdout


def test_evaluate_cli_reports_learner_and_expert_on_the_same_episodes(experts, tmp_path, monkeypatch):
    import sb3_aggrevated.evaluate as cli

    expert = expert_path(experts, "sac", "Pendulum-v1")
    _zoo_run(tmp_path, expert)  # trained with VecNormalize: the eval env must use its frozen statistics
    envs = []  # each player gets a new env (one reseeded after the other's episodes can keep simulator state)
    for name in ("evaluate_policy", "evaluate_expert"):
        play = getattr(cli, name)
        monkeypatch.setattr(cli, name, lambda pol, env, *a, _play=play, **k: envs.append(env) or _play(pol, env, *a, **k))
    result = cli.main(["--env", "Pendulum-v1", "-f", str(tmp_path / "logs"), "-n", "2"])
    assert result["timesteps"] == 256
    assert np.isfinite(result["learner_mean"]) and result["expert_mean"] > result["learner_mean"]
    assert len(envs) == 2 and envs[0] is not envs[1]
    # the same episodes: the learner given as the expert scores exactly what it scores as the learner
    run = tmp_path / "logs" / "ppo_expert" / "Pendulum-v1_1"
    itself = cli.main(["--env", "Pendulum-v1", "-f", str(tmp_path / "logs"), "-n", "2", "--expert", str(run)])
    assert itself["expert_mean"] == pytest.approx(itself["learner_mean"], abs=1e-3)
    assert itself["learner_mean"] == result["learner_mean"]

    # another rl_zoo3 algorithm's run (--algo ppo): read the same way, beside the expert given with --expert (a PPO
    # model names none)
    ppo_run = tmp_path / "logs" / "ppo" / "Pendulum-v1_1"
    shutil.copytree(run / "Pendulum-v1", ppo_run / "Pendulum-v1")
    from stable_baselines3 import PPO

    PPO("MlpPolicy", "Pendulum-v1", n_steps=64, policy_kwargs=dict(net_arch=[8]), seed=0).save(ppo_run / "Pendulum-v1.zip")
    as_ppo = cli.main(["--env", "Pendulum-v1", "-f", str(tmp_path / "logs"), "-n", "2", "--algo", "ppo"])
    assert np.isfinite(as_ppo["learner_mean"]) and "expert_mean" not in as_ppo
    with_expert = ["--env", "Pendulum-v1", "-f", str(tmp_path / "logs"), "-n", "2", "--algo", "ppo", "--expert", str(expert)]
    assert cli.main(with_expert)["expert_mean"] == result["expert_mean"]
    with pytest.raises(ValueError, match="'ppo_expertt' is not an rl_zoo3 algorithm"):
        cli.load_run_model(ppo_run, "Pendulum-v1", "ppo_expertt")

    # trained with VecNormalize, its statistics gone: refused (as rl_zoo3.enjoy does), not read unnormalised
    (run / "Pendulum-v1" / "vecnormalize.pkl").unlink()
    with pytest.raises(FileNotFoundError, match=r"normalize: True .* statistics .*vecnormalize.pkl are missing"):
        cli.main(["--env", "Pendulum-v1", "-f", str(tmp_path / "logs"), "-n", "2"])


class _HubServer:
    """
    A local stand-in for the Hugging Face Hub's HTTP API serving one repo: model info, file listing and downloads, and
    the upload calls of ``HfApi.create_repo`` / ``upload_folder`` (every file sent inline, as the Hub takes small ones).
    """

    def __init__(self, repo_id: str, files: dict[str, Path]):
        import base64
        import hashlib
        import http.server
        import threading

        self.requested: list[str] = []
        self.posted: list[str] = []
        sha, contents = "a" * 40, {name: src.read_bytes() for name, src in files.items()}
        self.contents = contents
        server_self = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, code, body=b"", headers=(), head=False):
                self.send_response(code)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _answer(self, head):
                path = self.path.split("?")[0]
                resolve = f"/{repo_id}/resolve/"
                if path.startswith(resolve):
                    name = path[len(resolve) :].split("/", 1)[1]
                    if name not in contents:
                        return self._send(404, headers=[("X-Error-Code", "EntryNotFound")], head=head)
                    if not head:
                        server_self.requested.append(name)
                    data = contents[name]
                    etag = '"' + hashlib.sha1(data).hexdigest() + '"'
                    return self._send(200, data, [("X-Repo-Commit", sha), ("ETag", etag)], head)
                if path.startswith(f"/api/models/{repo_id}/tree/"):  # the file listing
                    listing = [{"type": "file", "path": name, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}
                               for name, data in contents.items()]  # fmt: skip
                    return self._send(200, json.dumps(listing).encode(), [("Content-Type", "application/json")], head)
                if path.startswith(f"/api/models/{repo_id}"):  # the model's info
                    info = {"id": repo_id, "sha": sha, "siblings": [{"rfilename": name} for name in contents]}
                    return self._send(200, json.dumps(info).encode(), [("Content-Type", "application/json")], head)
                return self._send(404, headers=[("X-Error-Code", "RepoNotFound")], head=head)

            def do_GET(self):
                self._answer(False)

            def do_POST(self):
                path = self.path.split("?")[0]
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server_self.posted.append(path)
                json_type = [("Content-Type", "application/json")]
                if path == "/api/validate-yaml":  # the model card's metadata block must be YAML (the Hub checks more)
                    try:
                        yaml.safe_load(json.loads(body)["content"].split("---")[1])
                    except (IndexError, yaml.YAMLError) as err:
                        return self._send(400, json.dumps({"errors": [{"message": str(err)}]}).encode(), json_type)
                    return self._send(200, json.dumps({"warnings": []}).encode(), json_type)
                if path == "/api/repos/create":  # as the Hub: 409 where the repo exists (create_repo's exist_ok)
                    code = 409 if contents else 200
                    return self._send(code, json.dumps({"url": f"{server_self.url}/{repo_id}"}).encode(), json_type)
                if path == f"/api/models/{repo_id}/preupload/main":
                    files = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                             for f in json.loads(body)["files"]]  # fmt: skip
                    return self._send(200, json.dumps({"files": files}).encode(), json_type)
                if path == f"/api/models/{repo_id}/commit/main":
                    for line in body.decode().splitlines():
                        item = json.loads(line)
                        if item["key"] == "file":
                            contents[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
                        elif item["key"] == "deletedFile":
                            del contents[item["value"]["path"]]
                        elif item["key"] != "header":
                            return self._send(400, f"unexpected commit entry {item['key']}".encode())
                    commit = {"commitUrl": f"{server_self.url}/{repo_id}/commit/{'b' * 40}", "commitOid": "b" * 40}
                    return self._send(200, json.dumps(commit).encode(), json_type)
                return self._send(404, headers=[("X-Error-Code", "RepoNotFound")])

            def do_HEAD(self):
                self._answer(True)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def test_expert_by_hub_id_downloads_from_an_endpoint_then_loads_offline(experts, tmp_path):
    # the real download code (huggingface_hub's snapshot_download) against a local endpoint (HF_ENDPOINT), a repo as
    # rl_zoo3's push_to_hub writes it: the model zip, its statistics and config, and the logs zip that is not a model
    src = expert_path(experts, "ppo", "BipedalWalker-v3")
    (tmp_path / "config.json").write_text('{"gamma": 0.99}')  # huggingface_sb3's push_to_hub writes one too
    files = {
        "ppo-BipedalWalker-v3.zip": src / "BipedalWalker-v3.zip",
        "vec_normalize.pkl": src / "BipedalWalker-v3" / "vecnormalize.pkl",
        "config.yml": src / "BipedalWalker-v3" / "config.yml",
        "config.json": tmp_path / "config.json",
        "train_eval_metrics.zip": src / "BipedalWalker-v3.zip",
        "replay.mp4": src / "BipedalWalker-v3" / "config.yml",
    }
    server = _HubServer("sb3/ppo-BipedalWalker-v3", files)
    script = (
        "import gymnasium as gym; from sb3_aggrevated.experts import load_expert; "
        "e = load_expert('sb3/ppo-BipedalWalker-v3', gym.make('BipedalWalker-v3')); "
        "print('LOADED', e.kind, e.obs_normalizer is not None, round(e.value_scale, 3))"
    )
    env = {**os.environ, "HF_ENDPOINT": server.url, "HF_HUB_CACHE": str(tmp_path / "cache"), "SB3_AGGREVATED_EXPERTS": ""}
    env.pop("HF_HUB_OFFLINE", None)
    try:
        online = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    finally:
        server.close()
    assert "LOADED v True" in online.stdout, online.stderr[-2000:]
    assert sorted(server.requested) == ["config.json", "config.yml", "ppo-BipedalWalker-v3.zip", "vec_normalize.pkl"]
    offline = subprocess.run(
        [sys.executable, "-c", script], env={**env, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, timeout=120
    )
    assert offline.stdout == online.stdout, offline.stderr[-2000:]  # the second time from the cache, no endpoint


def test_push_to_hub_makes_the_repo_the_package_and_keeps_other_files(experts, tmp_path, monkeypatch):
    # the real upload code (HfApi.create_repo + upload_folder) against a local endpoint holding an earlier push: its
    # replay.mp4 and a file of the model's folder that this package lacks go, the user's own files stay
    import huggingface_hub.constants

    from sb3_aggrevated.hub import push_to_hub

    _zoo_run(tmp_path, expert_path(experts, "sac", "Pendulum-v1"))
    out = tmp_path / "package"
    package_agent("Pendulum-v1", tmp_path / "logs", out, organization="me", n_eval_episodes=1)
    earlier = {
        "replay.mp4": b"an earlier video",
        "ppo_expert-Pendulum-v1/stale": b"a file of an earlier model",
        "results.json": b"{}",
        "notes.md": b"the user's own notes",
        ".gitattributes": b"*.zip filter=lfs",
    }
    for name, data in earlier.items():
        (tmp_path / "earlier" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "earlier" / name).write_bytes(data)
    server = _HubServer("me/ppo_expert-Pendulum-v1", {name: tmp_path / "earlier" / name for name in earlier})
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", server.url)
    try:
        with pytest.raises(ValueError, match="not a package written by sb3_aggrevated.hub"):
            push_to_hub(tmp_path / "earlier", "me/ppo_expert-Pendulum-v1", token="hf_test")
        assert server.posted == []  # refused before any call
        url = push_to_hub(out, "me/ppo_expert-Pendulum-v1", token="hf_test")
    finally:
        server.close()
    assert url.startswith(server.url) and server.posted[0] == "/api/repos/create"
    local = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert "replay.mp4" not in local and "ppo_expert-Pendulum-v1/data" in local
    assert server.contents == {**local, "notes.md": earlier["notes.md"], ".gitattributes": earlier[".gitattributes"]}


def test_package_replaces_an_earlier_one_only_once_the_new_one_is_in_place(experts, tmp_path, monkeypatch):
    import sb3_aggrevated.hub as hub

    _zoo_run(tmp_path, expert_path(experts, "sac", "Pendulum-v1"))
    out = tmp_path / "package"
    first = package_agent("Pendulum-v1", tmp_path / "logs", out, n_eval_episodes=1)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    rename = Path.rename

    def failing_rename(self, target):
        if Path(target) == out and not self.name.startswith(".package.old."):  # the new package's move into place
            raise OSError("disk full")
        return rename(self, target)

    def failing_set_aside(self, target):
        if Path(target).name.startswith(".package.old."):  # the earlier package cannot be set aside
            raise PermissionError("read-only")
        return rename(self, target)

    for failing, error in ((failing_rename, "disk full"), (failing_set_aside, "read-only")):
        monkeypatch.setattr(Path, "rename", failing)
        with pytest.raises(OSError, match=error):
            hub.package_agent("Pendulum-v1", tmp_path / "logs", out, n_eval_episodes=2)
        assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["logs", "package"]  # no new one, no set-aside copy
    monkeypatch.setattr(Path, "rename", rename)
    second = hub.package_agent("Pendulum-v1", tmp_path / "logs", out, n_eval_episodes=2)
    assert second["n_eval_episodes"] == 2 and first["n_eval_episodes"] == 1
    assert json.loads((out / "results.json").read_text()) == second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs", "package"]
    # the evaluation seed given is the one played (and recorded): the episodes evaluate_run plays with it
    from sb3_aggrevated.evaluate import evaluate_run, evaluate_run_expert, find_run

    seeded = hub.package_agent("Pendulum-v1", tmp_path / "logs", out, n_eval_episodes=2, seed=7)
    run = find_run(str(tmp_path / "logs"), "ppo_expert", "Pendulum-v1")
    direct = evaluate_run(run, "Pendulum-v1", PPOExpert.load(run / "Pendulum-v1.zip", device="cpu"), 2, 7)
    assert seeded["eval_seed"] == 7 and seeded["mean_reward"] == pytest.approx(direct["learner_mean"])
    assert seeded["mean_reward"] != pytest.approx(second["mean_reward"])  # seed 0's episodes differ
    # the expert too is scored on seed 7's episodes, the learner's
    expert_direct = evaluate_run_expert(run, "Pendulum-v1", expert_path(experts, "sac", "Pendulum-v1"), 2, 7)
    assert seeded["expert"]["mean_reward"] == pytest.approx(expert_direct["expert_mean"])
    assert seeded["expert"]["mean_reward"] != pytest.approx(second["expert"]["mean_reward"])


def test_a_partial_hub_cache_read_offline_is_refused_not_loaded_without_statistics(experts, offline_hub):
    # the model zip alone in the cache (fetched by itself, as huggingface_sb3.load_from_hub does), read offline:
    # nothing says it needs its vec_normalize.pkl, so it is refused instead of loaded unnormalised
    src = expert_path(experts, "ppo", "BipedalWalker-v3")
    make_hub_cache(offline_hub, "sb3/ppo-BipedalWalker-v3", {"ppo-BipedalWalker-v3.zip": src / "BipedalWalker-v3.zip"})
    with pytest.raises(ValueError, match=r"holds no config.yml or config.json.*Run once with access to the Hub"):
        load_expert("sb3/ppo-BipedalWalker-v3", gym.make("BipedalWalker-v3"))


def test_evaluate_measures_the_expert_with_the_keywords_it_was_trained_with(experts, tmp_path, monkeypatch):
    # an expert given as a zip with its statistics passed by hand (expert_kwargs=dict(vec_normalize=...)): the evaluate
    # CLI and the package's model card measure it as it was trained, not unnormalised
    import sb3_aggrevated.evaluate as cli

    src = expert_path(experts, "ppo", "BipedalWalker-v3")
    shutil.copy(src / "BipedalWalker-v3.zip", tmp_path / "walker.zip")  # alone: no config, no statistics beside it
    stats = src / "BipedalWalker-v3" / "vecnormalize.pkl"
    run = tmp_path / "logs" / "ppo_expert" / "BipedalWalker-v3_1"
    (run / "BipedalWalker-v3").mkdir(parents=True)
    env = make_vec_env("BipedalWalker-v3", n_envs=1, seed=0)
    model = PPOExpert(
        "MlpPolicy", env, expert=str(tmp_path / "walker.zip"), expert_kwargs=dict(vec_normalize=str(stats)), **_TINY_WALKER
    )
    model.learn(64)
    model.save(run / "BipedalWalker-v3.zip")
    (run / "BipedalWalker-v3" / "config.yml").write_text(yaml.dump({"normalize": False}))
    expected = cli.evaluate_run_expert(
        run, "BipedalWalker-v3", str(tmp_path / "walker.zip"), 1, 0, None, {"vec_normalize": stats}
    )
    bare = cli.evaluate_run_expert(run, "BipedalWalker-v3", str(tmp_path / "walker.zip"), 1, 0)
    assert expected["expert_mean"] != pytest.approx(bare["expert_mean"])  # the statistics matter here
    result = cli.main(["--env", "BipedalWalker-v3", "-f", str(tmp_path / "logs"), "-n", "1"])
    assert result["expert_mean"] == pytest.approx(expected["expert_mean"])
    results = package_agent("BipedalWalker-v3", tmp_path / "logs", tmp_path / "package", n_eval_episodes=1, seed=0)
    assert results["expert"]["mean_reward"] == pytest.approx(expected["expert_mean"])


_TINY_WALKER = dict(n_steps=64, batch_size=64, n_epochs=1, policy_kwargs=dict(net_arch=[8]), beta=0.5, seed=0)


def test_evaluate_reads_a_gym_era_rl_zoo_run(experts):
    # the RL Zoo's own runs were saved with gym: --algo ppo loads them as the expert loader does
    import warnings

    import sb3_aggrevated.evaluate as cli

    expert_path(experts, "ppo", "CartPole-v1")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # nor does it leave its schedules undeserialised (as rl_zoo3.enjoy)
        result = cli.main(["--env", "CartPole-v1", "-f", str(experts), "--algo", "ppo", "-n", "1"])
    assert result["learner_mean"] > 100


def test_find_run_takes_the_latest_run_by_number_and_run_env_kwargs_reads_env_kwargs_yml(tmp_path):
    from sb3_aggrevated.evaluate import find_run, run_env_kwargs

    for number in (1, 9, 10):
        run = tmp_path / "ppo_expert" / f"Pendulum-v1_{number}"
        (run / "Pendulum-v1").mkdir(parents=True)
        (run / "Pendulum-v1.zip").write_bytes(b"")
    (tmp_path / "ppo_expert" / "Pendulum-v1_backup").mkdir()  # a folder of the user's, not a run: passed over
    assert find_run(str(tmp_path), "ppo_expert", "Pendulum-v1") == tmp_path / "ppo_expert" / "Pendulum-v1_10"
    assert find_run(str(tmp_path), "ppo_expert", "Pendulum-v1", exp_id=9).name == "Pendulum-v1_9"
    # a run as the Hub gives it: env_kwargs.yml alone (no config.yml, no args.yml)
    config_dir = tmp_path / "ppo_expert" / "Pendulum-v1_10" / "Pendulum-v1"
    (config_dir / "env_kwargs.yml").write_text("g: 5.0\n")
    assert run_env_kwargs(config_dir.parent, "Pendulum-v1") == {"g": 5.0}
