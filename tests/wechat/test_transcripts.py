"""Scripted conversations in each style, run through the WeChat callback; the transcripts in
tests/wechat/transcripts/ are what the bot really answered, for people to read and review.

    PARKLEAD_WRITE_TRANSCRIPTS=1 .venv/bin/pytest tests/wechat/test_transcripts.py  # rewrite

Without the variable the test fails when a transcript no longer matches the bot's replies.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from app.devtools.simulator import build_subscribe_xml, build_text_xml, build_voice_xml
from tests.wechat.test_callback import OPENID, post, text_of

DIR = Path(__file__).with_name("transcripts")
WRITE = os.environ.get("PARKLEAD_WRITE_TRANSCRIPTS") == "1"
_REFERENCE = re.compile(r"PL-\d{8}-\d{4}")

# (kind, text): kind is "text", "voice" (WeChat's Recognition) or "subscribe".
SCRIPTS: dict[str, list[tuple[str, str]]] = {
    "voice": [
        ("subscribe", ""),
        ("voice", "喂你好我们是做汽车配件的想在芦淞区租个三千平的厂房"),
        ("voice", "层高要八米以上租金大概多少钱一平"),
        ("voice", "我手机号码是幺三八七三三幺二二四五"),
        ("voice", "公司叫湘江精工我姓刘"),
        ("voice", "好的谢谢"),
    ],
    "english": [
        ("subscribe", ""),
        (
            "text",
            "Hello, we are looking for a ready-built factory of about 12,000 square metres "
            "on a long lease.",
        ),
        ("text", "Do you offer any incentives for foreign investors?"),
        ("text", "How far is it from the airport?"),
        ("text", "Please call Ms. Weber, +41 44 668 18 00"),
        ("text", "Precision Motion GmbH"),
        ("text", "Is there a canteen in the park?"),
    ],
    "traditional": [
        ("text", "您好，我們是台灣的精密機械公司，想租3000平方米廠房"),
        ("text", "請問有什麼優惠政策？"),
        ("text", "電話 +886 912 345 678"),
        ("text", "公司：台達精密有限公司，林先生"),
        ("text", "已經找到廠房了，不考慮了"),
        ("text", "是"),
    ],
    "advert_form": [
        (
            "text",
            "需求：租厂房 面积：3000平 用途：汽车零部件 税收：200万 公司：株洲精工机械有限公司 "
            "联系人：王先生 手机号：13812345678",
        ),
        ("text", "园区在哪里？"),
        ("text", "不对，面积是5000平"),
    ],
    "formal": [
        (
            "text",
            "本项目由湖南中联智能装备集团投资建设，总投资5亿元，计划用地约80亩，总建筑面积6万平方米，"
            "年纳税5000万元，可解决就业500人。联系人：张经理，电话0731-22334455",
        ),
        ("text", "税收一年能有5000万左右，投资5个亿"),
        ("text", "工业用地多少钱一亩？"),
        ("text", "转人工"),
    ],
    "question": [
        ("text", "有什么优惠政策吗？"),
        ("text", "离高铁站远不远？"),
        ("text", "厂房租金多少钱一平？"),
        ("text", "你们有没有5000平的厂房？电话13912345678"),
        ("text", "园区食堂几点开饭？"),
    ],
}


def _run(client, script: list[tuple[str, str]]) -> str:
    lines: list[str] = []
    for kind, message in script:
        if kind == "subscribe":
            xml, shown = build_subscribe_xml(OPENID), "(follows the official account)"
        elif kind == "voice":
            xml, shown = build_voice_xml(OPENID, message), f"(voice) {message}"
        else:
            xml, shown = build_text_xml(OPENID, message), message
        reply = _REFERENCE.sub("PL-YYYYMMDD-NNNN", text_of(post(client, xml)))
        lines.append(f"> {shown}")
        lines.extend(f"< {line}" for line in (reply or "(no reply)").splitlines())
        lines.append("")
    return "\n".join(lines)


@pytest.mark.parametrize("style", sorted(SCRIPTS))
def test_transcript_matches_the_bots_replies(client, style):
    text = _run(client, SCRIPTS[style])
    path = DIR / f"{style}.txt"
    assert "这句我没看明白" not in text
    if WRITE:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, (
        f"run with PARKLEAD_WRITE_TRANSCRIPTS=1: {path}"
    )
