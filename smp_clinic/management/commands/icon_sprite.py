from pathlib import Path

from django.core.management.base import BaseCommand

from core.icons import ICONS, SPRITE, build_sprite


class Command(BaseCommand):
    help = (
        "Rebuild static/vendor/bootstrap-icons/icons.svg from an unpacked "
        "bootstrap-icons npm package (the icons in core.icons.ICONS)."
    )

    def add_arguments(self, parser):
        parser.add_argument("package", type=Path, help="the unpacked package folder")

    def handle(self, *args, package: Path, **options):
        SPRITE.write_text(build_sprite(package))
        self.stdout.write(f"Wrote {len(ICONS)} icons to {SPRITE}.")
