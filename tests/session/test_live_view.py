import numpy as np

from robot_hf.record import display
from robot_hf.record.display import LiveView, draw_caption


def test_the_caption_is_drawn_over_the_top_of_the_picture():
    image = np.full((64, 96, 3), 200, np.uint8)
    out = draw_caption(image, "motion move left (correction) | corrections 1")
    assert out.shape == image.shape and (image == 200).all()  # the input is left as it was
    band = out[:34]
    assert (band < 200).any() and (band == 255).any()  # darkened, with white text on two lines
    assert (out[40:] == 200).all()
    assert draw_caption(image, "") is image


def test_the_live_view_shows_the_actors_status_on_the_camera_window(monkeypatch):
    shown = []
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(display.cv2, "imshow", lambda name, image: shown.append(image))
    monkeypatch.setattr(display.cv2, "waitKey", lambda delay: -1)
    monkeypatch.setattr(display.cv2, "destroyAllWindows", lambda: None)

    class Arm:  # a real arm: no simulation to show, its cameras instead
        pass

    status = iter(["motion stop", "motion move up (correction) | corrections 1"])
    view = LiveView(Arm(), scale=2, caption=lambda: next(status))
    frame = {"images": {"front": np.full((32, 32, 3), 120, np.uint8)}}
    view.on_step(None, frame, {})
    view.on_step(None, frame, {})
    view.close()
    assert [image.shape for image in shown] == [(64, 64, 3)] * 2
    assert not np.array_equal(shown[0], shown[1])  # the caption changed with the status


def test_without_a_display_the_live_view_stays_off(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    view = LiveView(object(), caption=lambda: "never asked")
    view.show({"images": {"front": np.zeros((8, 8, 3), np.uint8)}})
    assert not view.enabled
