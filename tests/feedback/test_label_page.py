"""The labeling page in a real headless Chromium: it loads, both clips play, a click and a key each store the right
answer, undo takes one back, and a reload resumes where it was. Plus the server's refusals, over plain HTTP."""

import json
import os
import shutil
import urllib.error
import urllib.request

import pytest

from robot_hf.dataset import DatasetReader, DatasetWriter
from robot_hf.feedback.reward.label_server import LabelServer
from robot_hf.feedback.reward.label_session import LabelSession
from robot_hf.feedback.reward.queries import QueryConfig


@pytest.fixture(scope="module")
def clips_dataset(tmp_path_factory):
    from robot_hf.cli.main import main

    root = tmp_path_factory.mktemp("label") / "demos"
    assert main(["record", "task=lift", "task.image_height=48", "task.image_width=48", "dataset.num_episodes=3",
                 f"dataset.root={root}"]) == 0
    return root


@pytest.fixture
def server(clips_dataset, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(clips_dataset, root)
    writer = DatasetWriter.open(root)
    session = LabelSession(DatasetReader(root), writer, QueryConfig(segment=6), total=5, batch=3)
    srv = LabelServer(session, port=0).start()
    yield srv, root
    srv.close()
    writer.close()


def browser():
    if os.environ.get("ROBOT_HF_SKIP_BROWSER"):
        pytest.skip("ROBOT_HF_SKIP_BROWSER is set")
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        options.binary_location = chromium
    driver_path = shutil.which("chromedriver")
    service = webdriver.ChromeService(executable_path=driver_path) if driver_path else None
    return webdriver.Chrome(options=options, service=service)


def wait_for(driver, script, timeout=10):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: d.execute_script(script))


def test_the_page_plays_both_clips_and_stores_clicks_keys_and_undo(server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    srv, root = server
    driver = browser()
    try:
        driver.get(srv.url)
        wait_for(driver, "return window.labelState && window.labelState.query !== null")
        assert "5 left to answer" in driver.find_element(By.ID, "status").text
        assert driver.find_element(By.ID, "task").text == "Task: lift the red cube"
        # both clips load and play: each canvas shows a frame index that moves on
        wait_for(driver, "return ['left','right'].every(s => document.getElementById(s).dataset.frame !== undefined)")
        seen = set()
        for _ in range(20):
            frames = driver.execute_script("return ['left','right'].map(s => document.getElementById(s).dataset.frame)")
            assert frames[0] == frames[1]  # one timer: in step
            seen.add(frames[0])
            driver.execute_script("return new Promise(r => setTimeout(r, 60))")
        assert len(seen) >= 3

        shown = driver.execute_script("return window.labelState.query")
        driver.find_element(By.ID, "btn-left").click()
        wait_for(driver, "return window.labelState.answered === 1")
        stored = DatasetReader(root).preferences  # on disk before the page heard back
        assert len(stored) == 1 and stored[0].choice == "a" and stored[0].annotator == "person"
        assert (stored[0].a_episode_index, stored[0].a_from_frame) == (shown["left"]["episode"], shown["left"]["from"])

        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
        wait_for(driver, "return window.labelState.answered === 2")
        assert [p.choice for p in DatasetReader(root).preferences] == ["a", "b"]

        second = driver.execute_script("return window.labelState.query.id")
        driver.find_element(By.ID, "btn-undo").click()
        wait_for(driver, "return window.labelState.answered === 1")
        assert [p.choice for p in DatasetReader(root).preferences] == ["a"]
        back = driver.execute_script("return window.labelState.query.id")
        assert back != second  # the undone pair is asked again

        driver.refresh()  # a reload resumes: same count, same pair
        wait_for(driver, "return window.labelState && window.labelState.query !== null")
        assert driver.execute_script("return window.labelState.answered") == 1
        assert driver.execute_script("return window.labelState.query.id") == back
        assert "4 left to answer" in driver.find_element(By.ID, "status").text
        driver.find_element(By.TAG_NAME, "body").send_keys("s")
        wait_for(driver, "return window.labelState.answered === 2")
        assert [p.choice for p in DatasetReader(root).preferences] == ["a", "skip"]
    finally:
        driver.quit()


def request(url, body=None, headers=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})},
                                 method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:  # generous: a loaded CI machine is slow, a hang still fails
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_bad_requests_get_a_clear_error_and_change_nothing(server):
    srv, root = server
    base = srv.url.rstrip("/")
    body = request(base + "/api/state")[1]
    current = json.loads(body)["query"]["id"]
    for payload, code, words in [(b"not json", 400, "not JSON"), ({"query": current, "choice": "up"}, 400, "is not one of"),
                                 ({"query": current + 99, "choice": "left"}, 409, "is not the one shown now"),
                                 ([1, 2], 400, "JSON object")]:
        status, body = request(base + "/api/answer", payload)
        assert status == code and words in json.loads(body)["error"]
    assert request(base + "/api/undo", {})[0] == 409
    assert request(base + "/api/clip?query=x&side=left")[0] == 400
    assert request(base + f"/api/clip?query={current}&side=middle")[0] == 400
    assert request(base + "/nowhere")[0] == 404
    assert DatasetReader(root).preferences == []
    status, body = request(base + f"/api/clip?query={current}&side=left")
    assert status == 200 and body[:2] == b"\xff\xd8"  # a JPEG


def test_another_address_needs_the_token(clips_dataset, tmp_path, capsys):
    root = tmp_path / "data"
    shutil.copytree(clips_dataset, root)
    with DatasetWriter.open(root) as writer:
        session = LabelSession(DatasetReader(root), writer, QueryConfig(segment=6), total=2, batch=2)
        srv = LabelServer(session, host="0.0.0.0", port=0).start()
        try:
            assert srv.token and f"token={srv.token}" in srv.url
            base = f"http://127.0.0.1:{srv.port}"
            assert request(base + "/")[0] == 403 and request(base + "/api/state")[0] == 403
            assert request(base + "/api/state", headers={"X-Robot-HF-Token": "wrong"})[0] == 403
            assert request(base + f"/api/state?token={srv.token}")[0] == 200
            body = request(base + "/api/state", headers={"X-Robot-HF-Token": srv.token})[1]
            current = json.loads(body)["query"]["id"]
            assert request(base + "/api/answer", {"query": current, "choice": "equal"})[0] == 403
            assert request(base + "/api/answer", {"query": current, "choice": "equal"}, {"X-Robot-HF-Token": srv.token})[0] == 200
        finally:
            srv.close()
    assert [p.choice for p in DatasetReader(root).preferences] == ["equal"]


def test_robot_hf_label_prints_its_address_serves_and_stops_on_ctrl_c(clips_dataset, tmp_path):
    import signal
    import subprocess
    import sys

    root = tmp_path / "data"
    shutil.copytree(clips_dataset, root)
    # -X faulthandler: a process that does not stop is sent SIGABRT, which prints every thread's stack into the failure.
    # SIGINT is handled here while it starts, so it starts with SIGINT at its default as from a terminal: a runner started
    # in the background (`cmd &` without job control) ignores SIGINT, a child would inherit that, and Python would then
    # never raise KeyboardInterrupt.
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "robot_hf.cli.main", "label", f"dataset.root={root}",
                                 "server.port=0", "labels=3", "query.segment=6", "annotator=ada"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, handler)
    try:
        line = proc.stdout.readline()
        assert line.startswith("labeling page: http://127.0.0.1:") and "3 of 3 answers to go" in line, line
        url = line.split()[2]
        state = json.loads(request(url + "api/state")[1])
        assert request(url + "api/answer", {"query": state["query"]["id"], "choice": "right"})[0] == 200
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            pytest.fail("robot-hf label did not stop within 120 s of Ctrl-C; its threads:\n" + proc.communicate(timeout=30)[1])
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert "stored 1 answers by 'ada'" in out
    stored = DatasetReader(root).preferences
    assert [(p.choice, p.annotator) for p in stored] == [("b", "ada")]


def test_robot_hf_label_refuses_what_it_cannot_serve_in_one_line(clips_dataset, capsys):
    from robot_hf.cli.main import main

    assert main(["label", f"dataset.root={clips_dataset}", "query.segment=500"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "query.segment=500" in err and "lower query.segment" in err
    assert main(["label", f"dataset.root={clips_dataset}", "query.method=disagreement"]) == 1
    assert "needs a reward model" in capsys.readouterr().err
    assert main(["label", f"dataset.root={clips_dataset}", "server.port=http"]) == 2
    assert DatasetReader(clips_dataset).preferences == []


def test_a_lerobot_written_dataset_is_refused_untouched(lerobot_pusht, capsys):
    from robot_hf.cli.main import main

    before = sorted(p.name for p in lerobot_pusht.rglob("*"))
    assert main(["label", f"dataset.root={lerobot_pusht}"]) == 1
    assert "has no feedback columns" in capsys.readouterr().err
    assert sorted(p.name for p in lerobot_pusht.rglob("*")) == before
