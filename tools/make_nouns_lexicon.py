"""Regenerate ``src/babelscope/data/words/nouns.tsv`` from the Unicode CLDR emoji annotations.

Not imported by the package. Get the source data offline-friendly with npm (any CLDR ≥ 46)::

    cd /tmp && npm pack cldr-annotations-full && tar xzf cldr-annotations-full-*.tgz
    python tools/make_nouns_lexicon.py /tmp/package

How a row is made (the decisions, in order; every drop is counted and printed):

1. **Concepts** are the hand-picked emoji of :data:`CONCEPTS`: concrete everyday nouns whose
   English CLDR name (``tts``) is one word; the concept id *is* that English name. English words
   whose everyday sense differs from the picture are not picked (:data:`POLYSEMOUS`, with
   reasons) — a prompt ``"bat"`` would not say which bat.
2. **Locales**: each annotation file without a region (``fr``, ``zh_Hant`` for its own script),
   mapped to FLORES-200 with the package's strict-script language resolution; ``ff`` is skipped
   (CLDR ``ff`` is Pulaar, FLORES ``fuv`` is Nigerian Fulfulde). Only the locale's *own* values are
   used (the npm data is unresolved, without ``↑↑↑`` markers); the one exception is Nynorsk,
   whose CLDR parent is ``no``: CLDR files a Nynorsk name only where it differs from Bokmål,
   so a missing ``nn`` name is the ``no`` one by CLDR's own rule.
3. **Word**: the locale's ``tts`` name, NFC, up to its first comma (Hindi, Bengali and
   Gujarati names add a category: ``केला, फल`` "banana, fruit"); kept only if it is one word
   (no space; internal ``-`` and apostrophes allowed), has no digit, only letters (no
   ``Lehrer(in)``, ``Bauer/Bäuerin``), no possessive particle (``ユニコーンの顔`` "unicorn's
   face") and is written in the variety's script (Latin ``seal`` in a Cyrillic file is an
   untranslated leftover). A Vietnamese classifier (``con chó`` "CLF dog") is removed first.
   Lower-cased, except German and Luxembourgish, which capitalise every noun. No article
   stripping: the CLDR names are bare nouns (multi-word names, which would include any
   article, are dropped by the one-word rule).
4. **No synonyms from keywords.** Keyword lists are sets of associations (🐕: pet, animal,
   bark), so a keyword is a synonym only if something aligns it with the concept. We tried
   aligning by distribution (the emoji that carry keyword K in language X against those that
   carry the concept word in English; Jaccard ≥ 0.6 over ≥ 3 shared emoji): it found Japanese
   ``犬`` for ``イヌ``, but also Akan "palette" for artist, Azerbaijani "rock" for singer and the
   zodiac sign for goat (♑ carries "goat" in English). The synonyms column stays empty; user
   files may fill it.
5. **Cognates/loans** (:mod:`babelscope.data.word_filters`): a (concept, language) whose
   word looks like the English word is dropped.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

from babelscope.data.word_filters import REASONS, cognate_reason
from babelscope.languages.registry import find_language
from babelscope.languages.scripts import script_of

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "babelscope" / "data" / "words"
RULES_VERSION = "1"  # bump when a rule below changes
NYNORSK_PARENT = {"nn": "no"}
SKIP_LOCALES = {"ff"}  # CLDR ff is Pulaar (fuc); FLORES fuv_Latn is Nigerian Fulfulde
NOUN_CAPITALISING = {"deu_Latn", "ltz_Latn"}
TURKIC_I = {"tur_Latn", "azj_Latn", "crh_Latn"}
WORD_JOINERS = "-'’ʼ\u200c\u200d"
# Possessive particles: a name containing one is a phrase ("X's face"), not the noun.
PHRASE_PARTICLES = {
    "jpn_Jpan": ("の",),
    "zho_Hans": ("的",),
    "zho_Hant": ("的",),
    "yue_Hant": ("嘅", "的"),
}
# Vietnamese puts a classifier before nouns (con chó "CLF dog"); the noun is what follows.
CLASSIFIERS = {"vie_Latn": ("con ", "quả ", "trái ", "cái ", "chiếc ")}
COMPATIBLE_SCRIPTS = {"Hans": {"Hani"}, "Hant": {"Hani"}, "Jpan": {"Jpan", "Hani"}}

# English words whose usual sense is not the emoji's picture: not picked.
POLYSEMOUS = {
    "bat": "🦇 the animal; also the club of cricket and baseball",
    "seal": "🦭 the animal; also a stamp or to close",
    "fly": "🪰 the insect; mostly the verb",
    "bug": "🐛 a caterpillar in CLDR; also a software error",
    "cricket": "🦗 the insect; also the sport",
    "ram": "🐏 the animal; also computer memory and the verb",
    "turkey": "🦃 the bird; also the country",
    "watch": "⌚ the wrist watch; mostly the verb",
    "ring": "💍 the jewel; also a sound, a boxing ring",
    "pick": "⛏ the tool; mostly the verb",
    "scroll": "📜 the roll of paper; mostly the verb",
    "rose": "🌹 the flower; also the past tense of rise",
    "bank": "🏦 the building; also a river bank",
    "glasses": "👓 spectacles; also drinking glasses",
    "knot": "🪢 a tied knot; also the speed unit (a concept of the calendar set)",
    "ewe": "🐑 a rare English word for what most locales call sheep",
    "kite": "🪁 the toy; also the bird of prey",
    "mouse": "🐁 the animal; also the computer device (its own emoji)",
    "person": "🧑 most locales name it 'adult', not 'person'",
}

CONCEPTS = {
    # people and body
    "baby": "👶", "child": "🧒", "boy": "👦", "girl": "👧", "man": "👨", "woman": "👩",
"student": "🧑‍🎓", "teacher": "🧑‍🏫", "farmer": "🧑‍🌾",
    "mechanic": "🧑‍🔧", "scientist": "🧑‍🔬", "singer": "🧑‍🎤", "artist": "🧑‍🎨",
    "pilot": "🧑‍✈", "astronaut": "🧑‍🚀", "firefighter": "🧑‍🚒", "prince": "🤴",
    "princess": "👸", "leg": "🦵", "foot": "🦶", "ear": "👂", "nose": "👃", "brain": "🧠",
    "lungs": "🫁", "tooth": "🦷", "bone": "🦴", "eye": "👁", "tongue": "👅", "mouth": "👄",
    "skull": "💀", "footprints": "👣", "fingerprint": "🫆",
    # beings of stories
    "ghost": "👻", "alien": "👽", "robot": "🤖", "dragon": "🐉", "unicorn": "🦄",
    "fairy": "🧚", "vampire": "🧛", "mermaid": "🧜‍♀", "zombie": "🧟", "ogre": "👹",
    # mammals
    "monkey": "🐒", "gorilla": "🦍", "dog": "🐕", "wolf": "🐺", "fox": "🦊",
    "raccoon": "🦝", "cat": "🐈", "lion": "🦁", "tiger": "🐅", "leopard": "🐆",
    "moose": "🫎", "donkey": "🫏", "horse": "🐎", "zebra": "🦓", "deer": "🦌",
    "bison": "🦬", "ox": "🐂", "cow": "🐄", "pig": "🐖", "boar": "🐗", "goat": "🐐",
    "camel": "🐪", "llama": "🦙", "giraffe": "🦒", "elephant": "🐘", "mammoth": "🦣",
    "rhinoceros": "🦏", "hippopotamus": "🦛", "rat": "🐀", "hamster": "🐹", "rabbit": "🐇",
    "chipmunk": "🐿", "beaver": "🦫", "hedgehog": "🦔", "bear": "🐻", "koala": "🐨",
    "panda": "🐼", "sloth": "🦥", "otter": "🦦", "skunk": "🦨", "kangaroo": "🦘",
    "badger": "🦡", "whale": "🐋", "dolphin": "🐬", "orca": "🫍",
    # birds
    "chicken": "🐔", "rooster": "🐓", "bird": "🐦", "penguin": "🐧", "dove": "🕊",
    "eagle": "🦅", "duck": "🦆", "swan": "🦢", "owl": "🦉", "dodo": "🦤", "feather": "🪶",
    "flamingo": "🦩", "peacock": "🦚", "parrot": "🦜", "wing": "🪽", "goose": "🪿",
    # reptiles, sea creatures, small animals
    "frog": "🐸", "crocodile": "🐊", "turtle": "🐢", "lizard": "🦎", "snake": "🐍",
    "fish": "🐟", "blowfish": "🐡", "shark": "🦈", "octopus": "🐙", "coral": "🪸",
    "jellyfish": "🪼", "crab": "🦀", "lobster": "🦞", "shrimp": "🦐", "squid": "🦑",
    "oyster": "🦪", "snail": "🐌", "butterfly": "🦋", "ant": "🐜", "honeybee": "🐝",
    "beetle": "🪲", "cockroach": "🪳", "spider": "🕷", "scorpion": "🦂", "mosquito": "🦟",
    "worm": "🪱", "microbe": "🦠",
    # plants
    "bouquet": "💐", "lotus": "🪷", "hibiscus": "🌺", "sunflower": "🌻", "blossom": "🌼",
    "tulip": "🌷", "hyacinth": "🪻", "seedling": "🌱", "cactus": "🌵", "herb": "🌿",
    "shamrock": "☘", "mushroom": "🍄",
    # fruit and vegetables
    "grapes": "🍇", "melon": "🍈", "watermelon": "🍉", "tangerine": "🍊", "lemon": "🍋",
    "lime": "🍋‍🟩", "banana": "🍌", "pineapple": "🍍", "mango": "🥭", "pear": "🍐",
    "peach": "🍑", "cherries": "🍒", "strawberry": "🍓", "blueberries": "🫐",
    "tomato": "🍅", "olive": "🫒", "coconut": "🥥", "avocado": "🥑", "eggplant": "🍆",
    "potato": "🥔", "carrot": "🥕", "cucumber": "🥒", "broccoli": "🥦", "garlic": "🧄",
    "onion": "🧅", "peanuts": "🥜", "beans": "🫘", "chestnut": "🌰",
    # food and kitchen
    "bread": "🍞", "croissant": "🥐", "flatbread": "🫓", "pretzel": "🥨", "bagel": "🥯",
    "pancakes": "🥞", "waffle": "🧇", "bacon": "🥓", "hamburger": "🍔", "pizza": "🍕",
    "sandwich": "🥪", "taco": "🌮", "burrito": "🌯", "falafel": "🧆", "egg": "🥚",
    "popcorn": "🍿", "butter": "🧈", "salt": "🧂", "spaghetti": "🍝", "sushi": "🍣",
    "dumpling": "🥟", "doughnut": "🍩", "cookie": "🍪", "cupcake": "🧁", "pie": "🥧",
    "candy": "🍬", "lollipop": "🍭", "custard": "🍮", "teapot": "🫖", "ice": "🧊",
    "chopsticks": "🥢", "spoon": "🥄", "jar": "🫙", "amphora": "🏺",
    # nature and places
    "mountain": "⛰", "volcano": "🌋", "desert": "🏜", "rock": "🪨", "wood": "🪵",
    "brick": "🧱", "hut": "🛖", "house": "🏠", "hospital": "🏥", "hotel": "🏨",
    "school": "🏫", "factory": "🏭", "castle": "🏰", "church": "⛪", "mosque": "🕌",
    "synagogue": "🕍", "fountain": "⛲", "tent": "⛺", "stadium": "🏟", "station": "🚉",
    "motorway": "🛣", "sun": "☀", "star": "⭐", "cloud": "☁", "tornado": "🌪", "fog": "🌫",
    "cyclone": "🌀", "rainbow": "🌈", "snowflake": "❄", "snowman": "☃", "comet": "☄",
    "fire": "🔥", "droplet": "💧",
    # transport
    "locomotive": "🚂", "train": "🚆", "metro": "🚇", "tram": "🚊", "monorail": "🚝",
    "bus": "🚌", "trolleybus": "🚎", "minibus": "🚐", "ambulance": "🚑", "taxi": "🚕",
    "automobile": "🚗", "tractor": "🚜", "motorcycle": "🏍", "bicycle": "🚲",
    "skateboard": "🛹", "wheel": "🛞", "anchor": "⚓", "sailboat": "⛵", "canoe": "🛶",
    "speedboat": "🚤", "ferry": "⛴", "ship": "🚢", "airplane": "✈", "parachute": "🪂",
    "helicopter": "🚁", "satellite": "🛰", "rocket": "🚀", "seat": "💺", "luggage": "🧳",
    # clothes and things one wears
    "sunglasses": "🕶", "goggles": "🥽", "necktie": "👔", "jeans": "👖", "scarf": "🧣",
    "gloves": "🧤", "coat": "🧥", "socks": "🧦", "dress": "👗", "kimono": "👘", "sari": "🥻",
    "briefs": "🩲", "shorts": "🩳", "bikini": "👙", "purse": "👛", "handbag": "👜",
    "backpack": "🎒", "crown": "👑", "lipstick": "💄",
    # objects
    "stopwatch": "⏱", "thermometer": "🌡", "umbrella": "☂", "balloon": "🎈",
    "ribbon": "🎀", "ticket": "🎫", "trophy": "🏆", "skis": "🎿", "sled": "🛷",
    "thread": "🧵", "yarn": "🧶", "loudspeaker": "📢", "megaphone": "📣", "bell": "🔔",
    "microphone": "🎤", "headphone": "🎧", "radio": "📻", "saxophone": "🎷",
    "trumpet": "🎺", "trombone": "🪊", "accordion": "🪗", "guitar": "🎸", "violin": "🎻",
    "banjo": "🪕", "drum": "🥁", "maracas": "🪇", "flute": "🪈", "harp": "🪉",
    "telephone": "☎", "battery": "🔋", "laptop": "💻", "printer": "🖨", "keyboard": "⌨",
    "abacus": "🧮", "television": "📺", "camera": "📷", "candle": "🕯",
    "flashlight": "🔦", "books": "📚", "notebook": "📓", "newspaper": "📰",
    "bookmark": "🔖", "label": "🏷", "coin": "🪙", "receipt": "🧾", "envelope": "✉",
    "package": "📦", "postbox": "📮", "pencil": "✏", "pen": "🖊", "paintbrush": "🖌",
    "crayon": "🖍", "briefcase": "💼", "calendar": "📅", "clipboard": "📋",
    "pushpin": "📌", "paperclip": "📎", "scissors": "✂", "wastebasket": "🗑", "key": "🔑",
    "hammer": "🔨", "axe": "🪓", "dagger": "🗡", "bomb": "💣", "boomerang": "🪃",
    "shield": "🛡", "wrench": "🔧", "screwdriver": "🪛", "gear": "⚙", "clamp": "🗜",
    "chains": "⛓", "hook": "🪝", "toolbox": "🧰", "magnet": "🧲", "ladder": "🪜",
    "shovel": "🪏", "microscope": "🔬", "telescope": "🔭", "syringe": "💉", "pill": "💊",
    "crutch": "🩼", "stethoscope": "🩺", "door": "🚪", "elevator": "🛗", "mirror": "🪞",
    "window": "🪟", "bed": "🛏", "chair": "🪑", "toilet": "🚽", "plunger": "🪠",
    "shower": "🚿", "bathtub": "🛁", "razor": "🪒", "broom": "🧹", "basket": "🧺",
    "bucket": "🪣", "soap": "🧼", "bubbles": "🫧", "toothbrush": "🪥", "sponge": "🧽",
    "cigarette": "🚬", "coffin": "⚰", "headstone": "🪦", "placard": "🪧", "compass": "🧭",
}  # fmt: skip


def _annotations(folder: Path, locale: str) -> dict[str, dict[str, list[str]]]:
    path = folder / "annotations" / locale.replace("_", "-") / "annotations.json"
    data = json.loads(path.read_text(encoding="utf-8"))["annotations"]
    return data.get("annotations", {})  # type: ignore[no-any-return]


def _locales(folder: Path) -> dict[str, str]:
    """FLORES code -> CLDR locale id (no region; a script subtag only for its own script)."""
    chosen: dict[str, str] = {}
    names = sorted(p.name for p in (folder / "annotations").iterdir())
    for name in sorted(names, key=lambda n: (n.count("-"), n)):
        parts = name.split("-")
        if name in ("en", "und", "root") or parts[0] in SKIP_LOCALES or len(parts) > 2:
            continue
        if len(parts) == 2 and len(parts[1]) != 4:
            continue
        lang = find_language(name.replace("-", "_"), strict_script=True)
        if lang is not None and lang.flores200 and lang.code not in chosen:
            chosen[lang.code] = name
    return dict(sorted(chosen.items()))


def _word(raw: str, code: str, script: str) -> tuple[str | None, str]:
    """Cleaned one-word name, or ``None`` and why not."""
    text = unicodedata.normalize("NFC", raw).strip()
    text = re.split("[,،、;]", text, maxsplit=1)[0].strip()  # Hindi "केला, फल": "banana, fruit"
    for classifier in CLASSIFIERS.get(code, ()):
        if text.lower().startswith(classifier):
            text = text[len(classifier) :]
    if not text or any(ch.isspace() for ch in text):
        return None, "multiword"
    if any(ch.isdigit() for ch in text):
        return None, "digit"
    if not all(unicodedata.category(ch)[0] in "LM" or ch in WORD_JOINERS for ch in text):
        return None, "notation"  # Lehrer(in), Bauer/Bäuerin: gender notations, not one word
    if any(particle in text for particle in PHRASE_PARTICLES.get(code, ())):
        return None, "phrase"  # ユニコーンの顔 "the unicorn's face": a phrase, not the noun
    if script_of(text) not in COMPATIBLE_SCRIPTS.get(script, {script}):
        return None, "script"
    if code in TURKIC_I:
        text = text.replace("I", "ı").replace("İ", "i")
    return (text if code in NOUN_CAPITALISING else text.lower()), ""


def build(folder: Path) -> tuple[list[tuple[str, str, str, list[str]]], dict[str, Counter[str]]]:
    english = _annotations(folder, "en")
    for concept, emoji in CONCEPTS.items():
        if english[emoji]["tts"][0] != concept or concept in POLYSEMOUS:
            sys.exit(f"{concept}: English tts is {english[emoji]['tts'][0]!r}")
    rows = [(concept, "eng_Latn", concept, []) for concept in CONCEPTS]
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    for code, locale in _locales(folder).items():
        table = _annotations(folder, locale)
        parent = _annotations(folder, NYNORSK_PARENT[locale]) if locale in NYNORSK_PARENT else {}
        script = code.split("_")[1]
        for concept, emoji in CONCEPTS.items():
            entry = table.get(emoji, {})
            tts = entry.get("tts") or parent.get(emoji, {}).get("tts")
            if not tts or "↑↑↑" in tts[0]:  # CLDR XML marks "inherit" with ↑↑↑; npm has none
                stats[code]["missing"] += 1
                continue
            word, why = _word(tts[0], code, script)
            if word is None:
                stats[code][why] += 1
                continue
            reason = cognate_reason(concept, word)
            if reason is not None:
                stats[code][reason] += 1
                continue
            stats[code]["kept"] += 1
            rows.append((concept, code, word, []))
    return rows, stats


def write(
    rows: list[tuple[str, str, str, list[str]]], stats: dict[str, Counter[str]], folder: Path
) -> None:
    lines = ["concept\tlanguage\tword\tsynonyms"]
    lines += [f"{c}\t{lang}\t{w}\t{'|'.join(s)}" for c, lang, w, s in rows]
    (OUT / "nouns.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    totals = Counter[str]()
    for counter in stats.values():
        totals.update(counter)
    summary = {
        "source": "Unicode CLDR annotations (npm cldr-annotations-full)",
        "cldr_version": json.loads((folder / "package.json").read_text())["version"],
        "rules_version": RULES_VERSION,
        "concepts_picked": len(CONCEPTS),
        "polysemous_not_picked": POLYSEMOUS,
        "dropped": {
            k: totals[k]
            for k in ("missing", "multiword", "digit", "notation", "phrase", "script", *REASONS)
        },
        "kept": totals["kept"],
        "per_language": {code: dict(counter) for code, counter in sorted(stats.items())},
    }
    (OUT / "nouns.stats.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def report(rows: list[tuple[str, str, str, list[str]]], stats: dict[str, Counter[str]]) -> None:
    per_language = Counter(lang for _, lang, _, _ in rows)
    for code, count in sorted(per_language.items(), key=lambda kv: (-kv[1], kv[0])):
        dropped = {k: v for k, v in stats.get(code, {}).items() if k != "kept"}
        print(f"{code}\t{count}\t{dropped}")
    concepts = {c for c, _, _, _ in rows}
    full = sum(1 for n in per_language.values() if n >= 100)
    print(f"concepts: {len(concepts)}; languages: {len(per_language)}; with ≥100 concepts: {full}")
    totals = Counter[str]()
    for counter in stats.values():
        totals.update(counter)
    print(f"filter counts over all languages: {dict(sorted(totals.items()))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("cldr", type=Path, help="unpacked cldr-annotations-full (the package/)")
    parser.add_argument("--dry-run", action="store_true", help="print coverage, write nothing")
    args = parser.parse_args()
    rows, stats = build(args.cldr)
    if not args.dry_run:
        OUT.mkdir(parents=True, exist_ok=True)
        write(rows, stats, args.cldr)
    report(rows, stats)


if __name__ == "__main__":
    main()
