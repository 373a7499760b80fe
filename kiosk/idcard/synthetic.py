"""Fictional ID cards and camera scenes with known ground truth, for tests, bench and demos.

Everything here is made up: names are drawn from common characters, numbers are generated
with a correct (or deliberately wrong) check digit, the portrait is a drawn cartoon. The
layout follows the second-generation card closely enough for the reader's position rules.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kiosk.idcard.detect import CARD_H, CARD_W
from kiosk.idcard.number import check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬春梅兵建国文德林福荣祥德凤云"
ETHNIC = ("汉", "汉", "汉", "回", "满", "壮", "苗", "蒙古", "土家", "维吾尔")
PLACES = ("江苏省南京市玄武区长江路", "浙江省杭州市西湖区文三路", "四川省成都市武侯区人民南路",
          "湖南省长沙市岳麓区麓山路", "河南省郑州市金水区花园路", "山东省济南市历下区泉城路")
AUTHORITIES = ("南京市公安局玄武分局", "杭州市公安局西湖分局", "成都市公安局武侯分局",
               "长沙市公安局岳麓分局", "郑州市公安局金水分局", "济南市公安局历下分局")
REGIONS = ("320102", "330106", "510107", "430104", "410105", "370102")


def font_path() -> Path:
    import manimgx_fonts_cjk

    return Path(manimgx_fonts_cjk.__file__).with_name("NotoSansCJK-VF.otf.ttc")


@lru_cache(maxsize=16)
def cjk_font(size: int, weight: str = "Regular") -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(str(font_path()), size, index=2)      # index 2: Simplified Chinese
    font.set_variation_by_name(weight)
    return font


@dataclass(frozen=True)
class FakeResident:
    name: str
    sex: str
    ethnicity: str
    birth: dt.date
    address: str                      # long enough to wrap onto two lines
    id_number: str
    authority: str
    valid_from: dt.date
    valid_to: dt.date | None          # None: 长期

    @property
    def birth_text(self) -> str:
        return f"{self.birth.year}-{self.birth.month:02d}-{self.birth.day:02d}"

    def chip_card(self) -> dict[str, str]:
        """This card as the chip reader simulator's card description (`reader_sim`)."""
        return {"name": self.name, "sex": self.sex, "ethnicity": self.ethnicity,
                "birth": self.birth.isoformat(), "address": self.address,
                "id_number": self.id_number, "authority": self.authority,
                "valid_from": self.valid_from.isoformat(),
                "valid_to": "长期" if self.valid_to is None else self.valid_to.isoformat()}


def make_number(region: str, birth: dt.date, seq: int, *, sex: str, wrong_check: bool = False
                ) -> str:
    """A structurally valid number (or one whose last character is deliberately wrong)."""
    sex_digit = seq % 10
    if (sex_digit % 2 == 1) != (sex == "男"):
        sex_digit = (sex_digit + 1) % 10
    body = f"{region}{birth:%Y%m%d}{seq // 10 % 100:02d}{sex_digit}"
    digit = check_digit(body)
    if wrong_check:
        digit = "0" if digit != "0" else "1"
    return body + digit


def fake_resident(seed: int, *, wrong_check: bool = False, expired: bool = False
                  ) -> FakeResident:
    rng = random.Random(seed)
    sex = rng.choice("男女")
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    birth = dt.date(rng.randint(1935, 1965), rng.randint(1, 12), rng.randint(1, 28))
    k = rng.randrange(len(PLACES))
    address = f"{PLACES[k]}{rng.randint(1, 300)}号{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(101, 1802)}室"
    number = make_number(REGIONS[k], birth, rng.randint(0, 999), sex=sex, wrong_check=wrong_check)
    start = dt.date(2030 if not expired else 2005, rng.randint(1, 12), rng.randint(1, 28))
    end = None if not expired and rng.random() < 0.5 else start.replace(year=start.year + 20)
    return FakeResident(name, sex, rng.choice(ETHNIC), birth, address, number,
                        AUTHORITIES[k], start, end)


def _base(rng: random.Random, tint: tuple[int, int, int]) -> Image.Image:
    """Card stock: a light tinted background with fine wavy guilloche lines and a border."""
    arr = np.full((CARD_H, CARD_W, 3), tint, np.uint8)
    yy, xx = np.mgrid[0:CARD_H, 0:CARD_W]
    waves = (np.sin(xx / 23.0 + np.sin(yy / 31.0) * 2.0) > 0.96).astype(np.uint8)
    arr[waves == 1] = (np.array(tint) * 0.93).astype(np.uint8)
    img = Image.fromarray(arr[..., ::-1].copy())
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((1, 1, CARD_W - 2, CARD_H - 2), radius=30, outline=(205, 205, 205),
                        width=2)
    return img


def _portrait(rng: random.Random) -> Image.Image:
    w, h = 224, 280
    img = Image.new("RGB", (w, h), (238, 242, 246))
    d = ImageDraw.Draw(img)
    skin = rng.choice([(224, 188, 160), (210, 170, 140), (235, 200, 175)])
    d.rectangle((20, 215, 204, 280), fill=rng.choice([(40, 50, 80), (70, 70, 70), (90, 40, 40)]))
    d.ellipse((60, 50, 164, 200), fill=skin)
    d.pieslice((52, 35, 172, 150), 180, 360, fill=rng.choice([(30, 30, 30), (160, 160, 160)]))
    for x in (88, 124):
        d.ellipse((x, 110, x + 14, 120), fill=(40, 30, 30))
    d.arc((92, 150, 132, 175), 20, 160, fill=(150, 60, 60), width=3)
    return img


def render_front(r: FakeResident, *, seed: int = 0) -> np.ndarray:
    """The portrait side (BGR, CARD_W × CARD_H)."""
    rng = random.Random(seed)
    img = _base(rng, (246, 240, 232))
    d = ImageDraw.Draw(img)
    label, text = cjk_font(24), cjk_font(30, "Medium")
    blue, black = (40, 110, 170), (20, 20, 20)
    x0, xv = 60, 150
    d.text((x0, 82), "姓  名", font=label, fill=blue)
    d.text((xv, 76), r.name, font=text, fill=black)
    d.text((x0, 150), "性  别", font=label, fill=blue)
    d.text((xv, 144), r.sex, font=text, fill=black)
    d.text((260, 150), "民  族", font=label, fill=blue)
    d.text((345, 144), r.ethnicity, font=text, fill=black)
    d.text((x0, 214), "出  生", font=label, fill=blue)
    d.text((xv, 208), f"{r.birth.year}", font=text, fill=black)
    d.text((xv + 82, 214), "年", font=label, fill=blue)
    d.text((xv + 116, 208), f"{r.birth.month}", font=text, fill=black)
    d.text((xv + 156, 214), "月", font=label, fill=blue)
    d.text((xv + 190, 208), f"{r.birth.day}", font=text, fill=black)
    d.text((xv + 230, 214), "日", font=label, fill=blue)
    d.text((x0, 278), "住  址", font=label, fill=blue)
    per_line = 12
    for i in range(0, len(r.address), per_line):
        d.text((xv, 272 + (i // per_line) * 42), r.address[i:i + per_line], font=text, fill=black)
    d.text((x0, 448), "公民身份号码", font=label, fill=blue)
    d.text((290, 440), r.id_number, font=cjk_font(34, "Medium"), fill=black)
    img.paste(_portrait(rng), (560, 70))
    return np.asarray(img)[..., ::-1].copy()


def _emblem(d: ImageDraw.ImageDraw, cx: int, cy: int) -> None:
    d.ellipse((cx - 58, cy - 58, cx + 58, cy + 58), fill=(200, 30, 30))
    d.regular_polygon((cx, cy - 10, 24), 5, fill=(240, 200, 40))
    d.rectangle((cx - 40, cy + 22, cx + 40, cy + 34), fill=(240, 200, 40))


def render_back(r: FakeResident, *, seed: int = 0) -> np.ndarray:
    """The emblem side (BGR, CARD_W × CARD_H)."""
    rng = random.Random(seed)
    img = _base(rng, (236, 242, 246))
    d = ImageDraw.Draw(img)
    _emblem(d, 120, 115)
    d.text((250, 70), "中华人民共和国", font=cjk_font(42, "Bold"), fill=(20, 20, 20))
    d.text((280, 150), "居民身份证", font=cjk_font(56, "Bold"), fill=(20, 20, 20))
    label, text = cjk_font(24), cjk_font(28, "Medium")
    d.text((150, 380), "签发机关", font=label, fill=(20, 20, 20))
    d.text((270, 375), r.authority, font=text, fill=(20, 20, 20))
    end = "长期" if r.valid_to is None else f"{r.valid_to:%Y.%m.%d}"
    d.text((150, 440), "有效期限", font=label, fill=(20, 20, 20))
    d.text((270, 435), f"{r.valid_from:%Y.%m.%d}-{end}", font=text, fill=(20, 20, 20))
    return np.asarray(img)[..., ::-1].copy()


def render_bank_card(seed: int = 0) -> np.ndarray:
    """A same-sized card that is not an ID card (bank name and a 16-digit card number)."""
    rng = random.Random(seed)
    img = Image.new("RGB", (CARD_W, CARD_H), (200, 165, 90))
    d = ImageDraw.Draw(img)
    d.text((50, 40), "中国某某银行  借记卡", font=cjk_font(40, "Bold"), fill=(250, 250, 250))
    d.rounded_rectangle((70, 170, 170, 245), radius=10, fill=(210, 180, 90))
    digits = "6222" + "".join(str(rng.randint(0, 9)) for _ in range(12))
    groups = " ".join(digits[i:i + 4] for i in range(0, 16, 4))
    d.text((70, 320), groups, font=cjk_font(48, "Medium"), fill=(250, 250, 250))
    d.text((70, 420), "VALID THRU 09/29", font=cjk_font(26), fill=(230, 230, 230))
    return np.asarray(img)[..., ::-1].copy()


def photocopy(card: np.ndarray) -> np.ndarray:
    """A grey, contrasty copy of a card, as from an office copier."""
    gray = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY)
    gray = cv2.convertScaleAbs(gray, alpha=1.4, beta=-60)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


@dataclass(frozen=True)
class SceneParams:
    size: tuple[int, int] = (1280, 720)   # (w, h) of the camera frame
    card_width: float = 0.62              # card width as a fraction of frame width
    angle: float = 8.0                    # in-plane rotation, degrees
    tilt: float = 0.06                    # perspective: corner pull as a fraction of width
    offset: tuple[float, float] = (0.0, 0.0)
    blur: float = 0.0                     # Gaussian sigma in px
    shadow: float = 0.0                   # darkening of one side, 0..1
    glare: float = 0.0                    # strength of a bright elliptical highlight, 0..1
    glare_at: tuple[float, float] | None = None   # its centre on the card (x, y as fractions
                                                  # of the card); None: upper right-of-centre
    glare_size: float = 1.0               # scale of the highlight's ellipse
    noise: float = 3.0
    jpeg_quality: int = 0                 # > 0: the frame goes through JPEG at this quality
    hand: bool = False                    # fingers over the lower-left edge, holding the card
    light_spot: float = 0.0               # uneven light: a warm lamp pool off one corner, 0..1


def _hand(out: np.ndarray, pts: np.ndarray, rng: np.random.Generator) -> None:
    """Skin-toned fingers over the card's left edge, the way a resident holds it up."""
    tl, _, _, bl = pts
    skin = np.array(rng.choice([(150, 170, 205), (120, 150, 190), (170, 190, 225)]), np.float32)
    edge = bl - tl
    across = np.array([edge[1], -edge[0]]) / max(np.linalg.norm(edge), 1.0)
    length = np.linalg.norm(edge)
    for k in range(4):
        at = tl + edge * (0.45 + 0.13 * k)
        tip = at - across * length * rng.uniform(0.08, 0.13)    # reaches onto the card
        base = at + across * length * 0.35
        cv2.line(out, tuple(int(v) for v in base), tuple(int(v) for v in tip),
                 skin.tolist(), max(3, int(length * 0.11)), cv2.LINE_AA)


def place_in_scene(card: np.ndarray, p: SceneParams, *, seed: int = 0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Put a card on a textured table in a camera frame; returns (frame, corners TL,TR,BR,BL)."""
    rng = np.random.default_rng(seed)
    w, h = p.size
    base = rng.integers(40, 90, size=(h // 16 + 1, w // 16 + 1, 3)).astype(np.uint8)
    scene = cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC)
    cw = p.card_width * w
    ch = cw / (CARD_W / CARD_H)
    cx, cy = w / 2 + p.offset[0] * w, h / 2 + p.offset[1] * h
    pts = np.array([[-cw / 2, -ch / 2], [cw / 2, -ch / 2], [cw / 2, ch / 2], [-cw / 2, ch / 2]])
    a = np.deg2rad(p.angle)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    pts = pts @ rot.T
    pull = p.tilt * cw
    pts[0] += (pull, 0)
    pts[1] += (-pull, 0)                  # top edge shorter: card leans away
    pts += (cx, cy)
    src = np.array([[0, 0], [CARD_W, 0], [CARD_W, CARD_H], [0, CARD_H]], np.float32)
    m = cv2.getPerspectiveTransform(src, pts.astype(np.float32))
    warped = cv2.warpPerspective(card, m, (w, h))
    mask = cv2.warpPerspective(np.full(card.shape[:2], 255, np.uint8), m, (w, h))
    scene[mask > 0] = warped[mask > 0]
    out = scene.astype(np.float32)
    if p.shadow:
        ramp = np.linspace(1.0 - p.shadow, 1.0, w, dtype=np.float32)[None, :, None]
        out *= ramp
    if p.glare:
        g = np.zeros((h, w), np.float32)
        if p.glare_at is None:
            gx, gy = int(cx + cw * 0.15), int(cy - ch * 0.2)
        else:
            at = np.array([[[p.glare_at[0] * CARD_W, p.glare_at[1] * CARD_H]]], np.float32)
            gx, gy = (int(v) for v in cv2.perspectiveTransform(at, m)[0, 0])
        axes = (int(cw * 0.12 * p.glare_size), int(ch * 0.09 * p.glare_size))
        cv2.ellipse(g, (gx, gy), axes, 30, 0, 360, 1.0, -1)
        g = cv2.GaussianBlur(g, (0, 0), cw * 0.02)
        out += (g * 255 * 1.5 * p.glare)[..., None]
    if p.light_spot:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        pool = np.exp(-((xx - 0.1 * w) ** 2 + (yy - 0.1 * h) ** 2) / (2 * (0.45 * w) ** 2))
        out *= (1.0 - 0.55 * p.light_spot + 0.7 * p.light_spot * pool)[..., None]
        out[..., 2] *= 1.0 + 0.08 * p.light_spot
    if p.hand:
        _hand(out, pts, rng)
    if p.noise:
        out += rng.normal(0, p.noise, out.shape).astype(np.float32)
    frame = np.clip(out, 0, 255).astype(np.uint8)
    if p.blur:
        frame = cv2.GaussianBlur(frame, (0, 0), p.blur)
    if p.jpeg_quality:
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, p.jpeg_quality])
        frame = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return frame, pts.astype(np.float32)
