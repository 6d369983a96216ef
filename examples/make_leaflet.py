"""Writes bots/assets/leaflet.pdf (the demo's leaflet): one colour page, synthetic content."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402 - same reason
from matplotlib.patches import FancyBboxPatch  # noqa: E402 - same reason

ITEMS = [
    ("Индексация зарплаты", "С 1 января оклады педагогов повышаются на 8,5 %. "
     "Проверьте расчётный лист за январь."),
    ("Отпуск 56 дней", "Удлинённый отпуск педагогов — право, а не льгота. "
     "Вопросы по графику отпусков — в профком."),
    ("Молодым педагогам", "Совет молодых педагогов приглашает на школу молодого "
     "профсоюзного лидера 14–15 марта."),
    ("Путешествуй с профсоюзом", "Скидки до 20 % на санатории края для членов "
     "профсоюза и их семей."),
]


def main(path: Path = Path(__file__).parents[1] / "bots" / "assets" / "leaflet.pdf") -> None:
    with PdfPages(path, metadata={"Title": "Информационный листок", "Author": "Rupor demo"}) as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.patch.set_facecolor("#fdf6e3")
        fig.text(0.5, 0.93, "ИНФОРМАЦИОННЫЙ ЛИСТОК", ha="center", size=24, weight="bold",
                 color="#b22222")
        fig.text(0.5, 0.895, "Пермская краевая организация Профсоюза образования · декабрь",
                 ha="center", size=11, color="#444444")
        for i, (title, body) in enumerate(ITEMS):
            y = 0.72 - i * 0.17
            colour = ["#2f6db5", "#2e8b57", "#d2691e", "#8a2be2"][i]
            fig.patches.append(FancyBboxPatch((0.08, y), 0.84, 0.14, transform=fig.transFigure,
                                              boxstyle="round,pad=0.01", fc=colour, alpha=0.15,
                                              ec=colour))
            fig.text(0.11, y + 0.1, title, size=16, weight="bold", color=colour)
            fig.text(0.11, y + 0.03, body, size=11, wrap=True, color="#222222")
        fig.text(0.5, 0.04, "Вопросы можно задать прямо в мессенджере — ответит профком.",
                 ha="center", size=10, style="italic")
        pdf.savefig(fig)
        plt.close(fig)


if __name__ == "__main__":
    main()
