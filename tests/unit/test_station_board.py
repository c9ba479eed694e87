"""The board's questions: an answer reaches the question the person read, never a later one."""

from __future__ import annotations

import threading
import time

from traomay.core.msg import Msg
from traomay.provision.station.board import Ask, Board, Choice


def _question(kind: str) -> Ask:
    return Ask(kind, Msg("Accept?"), (Choice("y", Msg("yes"), True),
                                      Choice("n", Msg("no"), False)))


def _ask_in_thread(board: Board, question: Ask) -> tuple[threading.Thread, list[object]]:
    got: list[object] = []
    stop, gone = threading.Event(), threading.Event()
    thread = threading.Thread(target=lambda: got.append(board.ask(
        7, question, timeout=10, stop=stop, gone=gone)))
    thread.start()
    for _ in range(200):
        if board.row(7) is not None and board.row(7).ask is question:
            break
        time.sleep(0.01)
    return thread, got


def test_an_answer_to_the_question_shown_is_taken_once():
    board = Board()
    shown = _question("origin")
    thread, got = _ask_in_thread(board, shown)
    assert board.answer(7, True, shown)
    assert not board.answer(7, False, shown)  # a second key press changes nothing
    thread.join(5)
    assert got == [True] and board.row(7).ask is None


def test_a_key_pressed_on_an_earlier_question_does_not_answer_the_new_one():
    board = Board()
    earlier, now = _question("origin"), _question("origin")  # equal text, another question
    thread, got = _ask_in_thread(board, now)
    assert not board.answer(7, False, earlier)
    assert board.row(7).ask is now  # still asked
    assert board.answer(7, True, now)
    thread.join(5)
    assert got == [True]


def test_no_question_no_answer():
    assert not Board().answer(7, True)


def test_every_version_of_a_row_is_in_the_history_even_between_two_redraws():
    board = Board()
    board.update(3, "s", stage="remove_account", state="person")
    board.update(3, "s", stage="remove_account", state="working")  # done within a redraw
    board.update(4, "t", stage="inspect")
    seq, rows = board.changes_since(0)
    assert [(r.transport_id, r.state) for r in rows] == [(3, "person"), (3, "working"),
                                                          (4, "working")]
    board.update(3, "s", stage="erase")
    later, rows = board.changes_since(seq)
    assert later == seq + 1 and [r.stage for r in rows] == ["erase"]
