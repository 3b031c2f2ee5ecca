"""The high-contrast theme: white on near-black, large type, thick yellow focus rings, big touch targets.

Colours meet WCAG AAA contrast on the background (green, amber and red
badges carry black text). Sizes are for arm's length: 22 px body text,
buttons at least 72 px tall, and every screen fits 1024x768 (what does not
fit scrolls, with a visible scroll bar and a "More below" cue).
"""

from __future__ import annotations

BACKGROUND = "#0b0d10"
SURFACE = "#1a1e24"
TEXT = "#ffffff"
MUTED = "#c8ccd2"
FOCUS = "#ffd400"
GREEN = "#3ddc84"
AMBER = "#ffb000"
RED = "#ff5c5c"
BLUE = "#6cb6ff"
GREY = "#8a9099"

BASE_FONT_PX = 22

STYLE = f"""
QWidget {{
    background: {BACKGROUND};
    color: {TEXT};
    font-size: {BASE_FONT_PX}px;
}}
QLabel {{ background: transparent; }}
QLabel[role="title"] {{ font-size: 40px; font-weight: bold; }}
QLabel[role="subtitle"] {{ font-size: 28px; font-weight: bold; }}
QLabel[role="muted"] {{ color: {MUTED}; }}
QLabel[role="hint"] {{ font-size: 34px; font-weight: bold; color: {TEXT}; }}
QLabel[role="error"] {{ color: {RED}; font-weight: bold; }}
QLabel[role="ok"] {{ color: {GREEN}; font-weight: bold; }}
QLabel[role="warn"] {{ color: {AMBER}; font-weight: bold; }}
QLabel[role="mrz"] {{ font-family: "OCR-B", "OCRB", "DejaVu Sans Mono", monospace; font-size: 20px; }}
QFrame[role="card"] {{
    background: {SURFACE};
    border: 2px solid #3a414b;
    border-radius: 12px;
}}
QFrame[role="card"] QLabel {{ background: transparent; }}
QPushButton {{
    background: {SURFACE};
    color: {TEXT};
    border: 3px solid {TEXT};
    border-radius: 12px;
    padding: 12px 28px;
    min-height: 48px;
    font-size: 26px;
    font-weight: bold;
}}
QPushButton:hover {{ background: #252b33; }}
QPushButton:pressed {{ background: #333a44; }}
QPushButton:focus {{ border: 5px solid {FOCUS}; }}
QPushButton:disabled {{ color: {GREY}; border-color: {GREY}; }}
QPushButton[role="primary"] {{ background: {GREEN}; color: #000000; border-color: {GREEN}; }}
QPushButton[role="primary"]:focus {{ border: 5px solid {FOCUS}; }}
QPushButton[role="primary"]:disabled {{ background: #2a3a30; color: {GREY}; border-color: {GREY}; }}
QPushButton[role="warn"] {{ background: {AMBER}; color: #000000; border-color: {AMBER}; }}
QPushButton[role="warn"]:focus {{ border: 5px solid {FOCUS}; }}
QPushButton[role="big"] {{ font-size: 40px; min-height: 140px; border-radius: 20px; }}
QPushButton[role="pinkey"] {{ font-size: 34px; min-height: 56px; min-width: 110px; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox {{
    background: #000000;
    color: {TEXT};
    border: 2px solid {MUTED};
    border-radius: 8px;
    padding: 8px 10px;
    min-height: 40px;
    font-size: 26px;
    selection-background-color: {BLUE};
    selection-color: #000000;
}}
QLineEdit:focus, QSpinBox:focus, QDoubleSpinBox:focus, QComboBox:focus {{ border: 4px solid {FOCUS}; }}
QLineEdit[invalid="true"] {{ border: 4px solid {RED}; }}
QLineEdit[role="field"] {{ min-height: 30px; padding: 4px 10px; }}
QLineEdit:read-only {{ color: {MUTED}; }}
QComboBox QAbstractItemView {{ background: #000000; color: {TEXT}; selection-background-color: {BLUE}; selection-color: #000000; }}
QCheckBox {{ spacing: 14px; min-height: 48px; }}
QCheckBox::indicator {{ width: 36px; height: 36px; border: 3px solid {TEXT}; border-radius: 6px; background: #000000; }}
QCheckBox::indicator:checked {{ background: {GREEN}; }}
QCheckBox:focus {{ color: {FOCUS}; }}
QRadioButton {{ spacing: 14px; min-height: 48px; }}
QRadioButton::indicator {{ width: 32px; height: 32px; border: 3px solid {TEXT}; border-radius: 19px; background: #000000; }}
QRadioButton::indicator:checked {{ background: {GREEN}; }}
QRadioButton:focus {{ color: {FOCUS}; }}
QLabel[role="more"] {{ color: {FOCUS}; font-size: 18px; font-weight: bold; }}
QTabWidget::pane {{ border: 2px solid #3a414b; border-radius: 8px; }}
QTabBar::tab {{
    background: {SURFACE}; color: {TEXT}; padding: 16px 26px; min-height: 40px;
    border: 2px solid #3a414b; border-bottom: none; font-size: 24px; font-weight: bold;
}}
QTabBar::tab:selected {{ background: {BACKGROUND}; border-color: {TEXT}; }}
QTabBar::tab:focus {{ color: {FOCUS}; }}
QProgressBar {{
    border: 2px solid {MUTED}; border-radius: 8px; background: #000000; min-height: 20px; max-height: 20px;
    text-align: center; color: {TEXT}; font-size: 16px;
}}
QProgressBar::chunk {{ background: {BLUE}; border-radius: 6px; }}
QScrollArea {{ border: none; }}
QScrollBar:vertical {{ width: 28px; background: {SURFACE}; border: 2px solid #3a414b; border-radius: 12px; margin: 0; }}
QScrollBar::handle:vertical {{ background: {MUTED}; min-height: 60px; border-radius: 10px; margin: 3px; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; border: none; background: none; }}
QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical {{ background: none; }}
QToolTip {{ background: #000000; color: {TEXT}; border: 2px solid {TEXT}; font-size: 20px; }}
"""


def badge_colour(state: str) -> str:
    return {"ok": GREEN, "low": AMBER, "bad": RED}.get(state, GREY)
