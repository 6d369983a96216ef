"""`rupor sandbox` and `python -m sandbox`: one click command (the same style as every other
`rupor` command); the emulators are imported only when it runs."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("sandbox", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--print-config", is_flag=True,
              help="Напечатать настройки (TOML) для `rupor --config` в stdout.")
@click.option("--members", type=int, default=3000, show_default=True,
              help="Сколько членов профсоюза в учебном союзе.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Зерно случайности (тот же союз при том же числе).")
@click.option("--schools", type=int, default=None,
              help="Первичных организаций (по умолчанию около members/50).")
@click.option("--districts", type=int, default=None, help="Районов (по умолчанию 5).")
@click.option("--members-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Куда записать CSV со списком членов.")
@click.option("--server-port", type=int, default=None,
              help="Порт собственного сервера `rupor run` (по умолчанию свободный).")
@click.option("--no-console", is_flag=True, help="Не читать команды со стандартного ввода.")
@click.option("--quiet-members", is_flag=True, help="Участники ничего не делают сами.")
def sandbox_command(
    print_config: bool, members: int, seed: int, schools: int | None, districts: int | None,
    members_file: Path | None, server_port: int | None, no_console: bool, quiet_members: bool,
) -> None:
    """Учебный полигон: эмуляторы Telegram, VK и Viber и учебный союз — до Ctrl-C.

    Консоль (команда help) позволяет действовать за любого участника: увидеть его чат,
    нажать кнопку, ответить.
    """
    from sandbox.runner import SandboxOptions, run

    options = SandboxOptions(
        seed=seed, members=members, districts=districts, schools=schools,
        members_file=members_file, print_config=print_config, console=not no_console,
        live=not quiet_members, server_port=server_port,
    )
    sys.exit(run(options))


def main(argv: list[str] | None = None) -> int:
    """Run the command on `argv` and return its exit status instead of exiting."""
    try:
        sandbox_command.main(args=argv, prog_name="rupor sandbox", standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0
