"""The tray's picture, drawn with Pillow: a disc in the state's colour, a sign for the state, and
the pending count in a badge. Pure: a state and a count in, an image out.
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

COLORS = {
    "watching": (46, 125, 50),
    "paused": (117, 117, 117),
    "attention": (230, 120, 0),
    "error": (198, 40, 40),
}


def draw_icon(state: str, count: int, size: int = 64) -> Image.Image:
    """A disc in the state's colour with an envelope (watching, attention), two bars (paused) or
    an exclamation mark (error), and the pending count in a white badge."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    s = size / 64
    draw.ellipse((2 * s, 2 * s, 62 * s, 62 * s), fill=COLORS[state])
    white = (255, 255, 255)
    if state == "paused":
        draw.rectangle((21 * s, 18 * s, 28 * s, 46 * s), fill=white)
        draw.rectangle((36 * s, 18 * s, 43 * s, 46 * s), fill=white)
    elif state == "error":
        draw.rectangle((28 * s, 14 * s, 36 * s, 38 * s), fill=white)
        draw.ellipse((27 * s, 42 * s, 37 * s, 52 * s), fill=white)
    else:
        draw.rectangle((14 * s, 20 * s, 50 * s, 44 * s), outline=white, width=max(1, int(4 * s)))
        draw.line(
            (14 * s, 20 * s, 32 * s, 34 * s, 50 * s, 20 * s), fill=white, width=max(1, int(4 * s))
        )
    if count > 0:
        text = str(count) if count < 10 else "9+"
        box = (30 * s, 0, 64 * s - 1, 34 * s)
        draw.ellipse(box, fill=white, outline=(33, 33, 33), width=max(1, int(2 * s)))
        font = _font(int(22 * s))
        draw.text(
            ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2),
            text,
            fill=(0, 0, 0),
            font=font,
            anchor="mm",
        )
    return image


def _font(px: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=px)
    except TypeError:  # Pillow < 10.1 has one bitmap size only
        return ImageFont.load_default()
