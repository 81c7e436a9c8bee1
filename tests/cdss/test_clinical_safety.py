"""Well-known dangerous prescriptions, each a `cdss check` request: the engine must flag it with the right kind,
at least the expected severity, naming the drugs involved and citing a source; and common safe prescriptions must
not be stopped.

The table is written from clinical references (BNF, FDA and EMA labels, ANSM thesaurus, Dược thư quốc gia Việt Nam
2022), not from the knowledge files: a case that fails points at a gap in the knowledge. Names are given in English
INN and, for some, in Vietnamese spelling, as a prescriber would type them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from cdss.command import run_check

_RANK = {"hard_stop": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Case:
    id: str
    request: dict[str, Any]
    kind: str
    severity: str  # the minimum: "warning" is met by a warning or a hard stop
    involves: tuple[str, ...] = ()  # INNs the alert must name


def drug(
    substance: str | list[str], dose: float | None = None, per_day: float | None = None, route: str = ""
) -> dict[str, Any]:
    entry: dict[str, Any] = {"substance": substance}
    if dose is not None:
        entry["dose_mg"] = dose
    if per_day is not None:
        entry["doses_per_day"] = per_day
    if route:
        entry["route"] = route
    return entry


def pair(case_id: str, new: str, active: str, severity: str, *involves: str) -> Case:
    """An interaction between a new drug and one the patient already takes."""
    return Case(case_id, {"new": [drug(new)], "active": [drug(active)]}, "interaction", severity, involves)


def both_new(case_id: str, first: Any, second: Any, kind: str, severity: str, *involves: str) -> Case:
    return Case(case_id, {"new": [drug(first), drug(second)]}, kind, severity, involves)


def patient(case_id: str, facts: dict[str, Any], new: dict[str, Any], kind: str, severity: str, *involves: str) -> Case:
    return Case(case_id, {"patient": facts, "new": [new]}, kind, severity, involves)


ADULT = {"age_years": 45, "sex": "F", "weight_kg": 60}
PREGNANT = {"age_years": 28, "sex": "F", "pregnant": True}
MALE = {"age_years": 50, "sex": "M", "weight_kg": 70}

INTERACTIONS = [
    # Anticoagulants (BNF; ANSM "antivitamines K"; Stockley)
    pair("warfarin+aspirin", "Aspirin", "Warfarin", "warning", "warfarin", "acetylsalicylic acid"),
    pair("warfarin+ibuprofen", "Ibuprofen", "Warfarin", "warning", "warfarin", "ibuprofen"),
    pair("warfarin+fluconazole", "Fluconazole", "Warfarin", "warning", "warfarin", "fluconazole"),
    pair("warfarin+metronidazole", "Metronidazol", "Warfarin", "warning", "warfarin", "metronidazole"),
    pair("warfarin+amiodarone", "Amiodaron", "Warfarin", "warning", "warfarin", "amiodarone"),
    pair("warfarin+co-trimoxazole", "co-trimoxazole", "Warfarin", "warning", "warfarin", "sulfamethoxazole"),
    pair("acenocoumarol+miconazole", "Miconazole", "Acenocoumarol", "hard_stop", "acenocoumarol", "miconazole"),
    # Statins and CYP3A4 inhibitors (FDA labels; ANSM contre-indication)
    pair("simvastatin+clarithromycin", "Clarithromycin", "Simvastatin", "hard_stop", "simvastatin", "clarithromycin"),
    pair("simvastatin+itraconazole", "Itraconazol", "Simvastatin", "hard_stop", "simvastatin", "itraconazole"),
    pair("simvastatin+ketoconazole", "Ketoconazole", "Simvastatin", "hard_stop", "simvastatin", "ketoconazole"),
    pair("lovastatin+clarithromycin", "Clarithromycin", "Lovastatin", "hard_stop", "lovastatin", "clarithromycin"),
    pair("lovastatin+itraconazole", "Itraconazole", "Lovastatin", "hard_stop", "lovastatin", "itraconazole"),
    pair("simvastatin+gemfibrozil", "Gemfibrozil", "Simvastatin", "hard_stop", "simvastatin", "gemfibrozil"),
    # PDE5 inhibitors and nitrates (FDA labels: contraindicated)
    pair("sildenafil+isosorbide mononitrate", "Sildenafil", "Isosorbide mononitrate", "hard_stop", "sildenafil"),
    pair("sildenafil+nitroglycerin", "Sildenafil", "Nitroglycerin", "hard_stop", "sildenafil", "glyceryl trinitrate"),
    pair("tadalafil+isosorbide dinitrate", "Tadalafil", "Isosorbid dinitrat", "hard_stop", "tadalafil"),
    # MAOIs and serotonergic drugs (FDA labels; BNF)
    pair("selegiline+fluoxetine", "Fluoxetine", "Selegiline", "hard_stop", "selegiline", "fluoxetine"),
    pair("selegiline+tramadol", "Tramadol", "Selegilin", "hard_stop", "selegiline", "tramadol"),
    pair("linezolid+sertraline", "Linezolid", "Sertraline", "hard_stop", "linezolid", "sertraline"),
    pair("moclobemide+pethidine", "Pethidine", "Moclobemide", "hard_stop", "moclobemide", "pethidine"),
    pair("moclobemide+tramadol", "Tramadol", "Moclobemid", "hard_stop", "moclobemide", "tramadol"),
    pair("linezolid+paroxetine", "Paroxetine", "Linezolid", "hard_stop", "linezolid", "paroxetine"),
    pair("tramadol+sertraline", "Tramadol", "Sertraline", "warning", "tramadol", "sertraline"),
    # Methotrexate (BNF: avoid; ANSM)
    pair("methotrexate+trimethoprim", "Trimethoprim", "Methotrexate", "warning", "methotrexate", "trimethoprim"),
    pair("methotrexate+co-trimoxazole", "Cotrimoxazole", "Methotrexat", "warning", "methotrexate"),
    # Hyperkalaemia and dual renin–angiotensin blockade (BNF; EMA 2014)
    pair("spironolactone+potassium chloride", "Kali clorid", "Spironolactone", "warning", "spironolactone"),
    pair("spironolactone+enalapril", "Enalapril", "Spironolacton", "warning", "spironolactone", "enalapril"),
    pair("enalapril+losartan", "Losartan", "Enalapril", "warning", "enalapril", "losartan"),
    pair("lisinopril+valsartan", "Valsartan", "Lisinopril", "warning", "lisinopril", "valsartan"),
    pair("ACE inhibitor+potassium chloride", "Potassium chloride", "Perindopril", "warning", "perindopril"),
    # Clopidogrel activation (EMA 2010, FDA label)
    pair("clopidogrel+omeprazole", "Omeprazole", "Clopidogrel", "warning", "clopidogrel", "omeprazole"),
    # QT prolongation (CredibleMeds; ANSM "torsadogènes")
    pair("amiodarone+levofloxacin", "Levofloxacin", "Amiodarone", "warning", "amiodarone", "levofloxacin"),
    pair("amiodarone+moxifloxacin", "Moxifloxacin", "Amiodarone", "warning", "amiodarone", "moxifloxacin"),
    pair("haloperidol+erythromycin", "Erythromycin", "Haloperidol", "warning", "haloperidol", "erythromycin"),
    pair("haloperidol+citalopram", "Citalopram", "Haloperidol", "warning", "haloperidol", "citalopram"),
    pair("haloperidol+ondansetron", "Ondansetron", "Haloperidol", "warning", "haloperidol", "ondansetron"),
    # Digoxin (BNF; ANSM)
    pair("digoxin+amiodarone", "Amiodarone", "Digoxin", "warning", "digoxin", "amiodarone"),
    pair("digoxin+verapamil", "Verapamil", "Digoxin", "warning", "digoxin", "verapamil"),
    pair("digoxin+clarithromycin", "Clarithromycin", "Digoxin", "warning", "digoxin", "clarithromycin"),
    # Lithium (BNF; ANSM)
    pair("lithium+ibuprofen", "Ibuprofen", "Lithium carbonate", "warning", "lithium", "ibuprofen"),
    pair("lithium+hydrochlorothiazide", "Hydrochlorothiazide", "Lithium", "warning", "lithium"),
    pair("lithium+enalapril", "Enalapril", "Lithi carbonat", "warning", "lithium", "enalapril"),
    # Narrow-margin drugs and CYP1A2 inhibitors (BNF; FDA labels)
    pair("theophylline+ciprofloxacin", "Ciprofloxacin", "Theophylline", "warning", "theophylline", "ciprofloxacin"),
    pair("colchicine+clarithromycin", "Clarithromycin", "Colchicine", "hard_stop", "colchicine", "clarithromycin"),
    pair("allopurinol+azathioprine", "Allopurinol", "Azathioprine", "warning", "allopurinol", "azathioprine"),
    pair("allopurinol+mercaptopurine", "Allopurinol", "Mercaptopurine", "warning", "allopurinol", "mercaptopurine"),
    pair("tizanidine+ciprofloxacin", "Ciprofloxacin", "Tizanidine", "hard_stop", "tizanidine", "ciprofloxacin"),
    pair("tizanidine+fluvoxamine", "Fluvoxamine", "Tizanidin", "hard_stop", "tizanidine", "fluvoxamine"),
    # Opioids with benzodiazepines: profound sedation, respiratory depression (FDA boxed warning 2016)
    pair("fentanyl+midazolam", "Midazolam", "Fentanyl", "warning", "fentanyl", "midazolam"),
    pair("morphine+diazepam", "Diazepam", "Morphine", "warning", "morphine", "diazepam"),
    pair("oxycodone+alprazolam", "Alprazolam", "Oxycodone", "warning", "oxycodone", "alprazolam"),
    # Enzyme inducers (ANSM; BNF)
    pair("carbamazepine+erythromycin", "Erythromycin", "Carbamazepine", "warning", "carbamazepine", "erythromycin"),
    pair("carbamazepine+clarithromycin", "Clarithromycin", "Carbamazepin", "warning", "carbamazepine"),
    pair("carbamazepine+ethinylestradiol", "Ethinylestradiol", "Carbamazepine", "warning", "carbamazepine"),
    pair("rifampicin+ethinylestradiol", "Ethinylestradiol", "Rifampicin", "warning", "rifampicin"),
    # Others of the same weight
    pair("clozapine+carbamazepine", "Carbamazepine", "Clozapine", "warning", "clozapine", "carbamazepine"),
    pair("azathioprine+febuxostat", "Febuxostat", "Azathioprine", "hard_stop", "azathioprine", "febuxostat"),
    pair("ketoconazole+domperidone", "Domperidone", "Ketoconazole", "hard_stop", "domperidone", "ketoconazole"),
    pair("clarithromycin+ergotamine", "Clarithromycin", "Ergotamine", "hard_stop", "ergotamine", "clarithromycin"),
    pair("methotrexate+ibuprofen", "Ibuprofen", "Methotrexate", "warning", "methotrexate", "ibuprofen"),
    # NSAIDs outside the thesaurus's class list (ketorolac, loxoprofen) and rules it rates "to be taken into account"
    pair("ketorolac+warfarin", "Ketorolac", "Warfarin", "hard_stop", "ketorolac", "warfarin"),
    pair("ketorolac+enoxaparin", "Ketorolac", "Enoxaparin", "hard_stop", "ketorolac", "enoxaparin"),
    pair("loxoprofen+warfarin", "Loxoprofen", "Warfarin", "warning", "loxoprofen", "warfarin"),
    pair("loxoprofen+lithium", "Loxoprofen", "Lithium", "warning", "loxoprofen", "lithium"),
    pair("clopidogrel+warfarin", "Clopidogrel", "Warfarin", "warning", "clopidogrel", "warfarin"),
    pair("ibuprofen+sertraline", "Ibuprofen", "Sertraline", "warning", "ibuprofen", "sertraline"),
    pair("ibuprofen+prednisolone", "Ibuprofen", "Prednisolone", "warning", "ibuprofen", "prednisolone"),
    pair("verapamil+propranolol", "Verapamil", "Propranolol", "warning", "verapamil", "propranolol"),
    pair("clozapine+co-trimoxazole", "Co-trimoxazole", "Clozapine", "warning", "clozapine", "sulfamethoxazole"),
    pair("adrenaline+propranolol", "Adrenaline", "Propranolol", "warning", "epinephrine", "propranolol"),
    pair("selegiline+pseudoephedrine", "Pseudoephedrine", "Selegiline", "warning", "selegiline"),
    pair("methotrexate+leflunomide", "Leflunomide", "Methotrexate", "warning", "methotrexate", "leflunomide"),
]

DUPLICATES = [
    both_new("two NSAIDs", "Ibuprofen", "Diclofenac", "duplicate", "warning", "ibuprofen", "diclofenac"),
    both_new("naproxen+ibuprofen", "Naproxen", "Ibuprofen", "duplicate", "warning", "naproxen"),
    both_new("two ACE inhibitors", "Enalapril", "Lisinopril", "duplicate", "warning", "enalapril", "lisinopril"),
    both_new("ACE inhibitor+ARB", "Enalapril", "Losartan", "duplicate", "warning", "enalapril", "losartan"),
    both_new("two PPIs", "Omeprazole", "Esomeprazol", "duplicate", "warning", "omeprazole", "esomeprazole"),
    both_new("two benzodiazepines", "Diazepam", "Alprazolam", "duplicate", "warning", "diazepam", "alprazolam"),
    both_new("two SSRIs", "Sertraline", "Fluoxetine", "duplicate", "warning", "sertraline", "fluoxetine"),
    both_new("two ARBs", "Losartan", "Telmisartan", "duplicate", "warning", "losartan", "telmisartan"),
    both_new("two statins", "Atorvastatin", "Rosuvastatin", "duplicate", "warning", "atorvastatin"),
    both_new("SSRI+SNRI", "Sertraline", "Venlafaxine", "duplicate", "warning", "sertraline", "venlafaxine"),
    both_new("two benzodiazepines (VN)", "Bromazepam", "Diazepam", "duplicate", "warning", "bromazepam"),
    both_new("two bisphosphonates", "Alendronic acid", "Acid risedronic", "duplicate", "warning", "alendronic acid"),
    both_new("two anticoagulants", "Warfarin", "Rivaroxaban", "duplicate", "warning", "warfarin", "rivaroxaban"),
    Case(
        "paracetamol in two products",
        {"new": [drug("Paracetamol", 500, 4), drug(["Paracetamol", "Codeine"], None, 4)]},
        "duplicate",
        "warning",
        ("paracetamol",),
    ),
]

ALLERGIES = [
    patient("penicillin -> amoxicillin", {"allergies": ["penicillin"]}, drug("Amoxicillin"), "allergy", "hard_stop"),
    patient("Penicilin -> Amoxicilin", {"allergies": ["Penicilin"]}, drug("Amoxicilin"), "allergy", "hard_stop"),
    patient("penicillin -> ampicillin", {"allergies": ["penicillin"]}, drug("Ampicilin"), "allergy", "hard_stop"),
    patient(
        "penicillin -> piperacillin/tazobactam",
        {"allergies": ["penicillin"]},
        drug(["Piperacillin", "Tazobactam"]),
        "allergy",
        "hard_stop",
        "piperacillin",
    ),
    patient(
        "amoxicillin -> co-amoxiclav", {"allergies": ["Amoxicillin"]}, drug("co-amoxiclav"), "allergy", "hard_stop"
    ),
    patient("penicillin -> ceftriaxone", {"allergies": ["penicillin"]}, drug("Ceftriaxone"), "allergy", "warning"),
    patient("penicillin -> cefalexin", {"allergies": ["Penicillin"]}, drug("Cefalexin"), "allergy", "warning"),
    patient(
        "sulfonamide -> co-trimoxazole", {"allergies": ["sulfonamide"]}, drug("co-trimoxazole"), "allergy", "hard_stop"
    ),
    patient("sulfa -> sulfamethoxazole", {"allergies": ["sulfa"]}, drug("Sulfamethoxazole"), "allergy", "hard_stop"),
    patient("aspirin -> ibuprofen", {"allergies": ["Aspirin"]}, drug("Ibuprofen"), "allergy", "warning"),
    patient("NSAID -> diclofenac", {"allergies": ["NSAID"]}, drug("Diclofenac"), "allergy", "warning"),
    patient("ibuprofen -> ibuprofen", {"allergies": ["Ibuprofen"]}, drug("Ibuprofen"), "allergy", "hard_stop"),
    patient(
        "ciprofloxacin -> levofloxacin", {"allergies": ["Ciprofloxacin"]}, drug("Levofloxacin"), "allergy", "hard_stop"
    ),
    patient(
        "penicillin -> benzathine benzylpenicillin",
        {"allergies": ["Penicilin"]},
        drug("Benzathin benzylpenicilin"),
        "allergy",
        "hard_stop",
    ),
    patient("carbamazepine -> phenytoin", {"allergies": ["Carbamazepine"]}, drug("Phenytoin"), "allergy", "hard_stop"),
]

DOSES = [
    patient("paracetamol 6 g a day", ADULT, drug("Paracetamol", 1000, 6), "dose", "hard_stop", "paracetamol"),
    patient("paracetamol 5 g a day", ADULT, drug("Paracetamol", 1000, 5), "dose", "warning", "paracetamol"),
    patient(
        "paracetamol 25 mg/kg in a 20 kg child",
        {"age_years": 6, "weight_kg": 20},
        drug("Paracetamol", 500, 4),
        "dose",
        "hard_stop",
        "paracetamol",
    ),
    patient("methotrexate daily", ADULT, drug("Methotrexate", 10, 1, "oral"), "dose", "hard_stop", "methotrexate"),
    # 2.5 mg a day stays under the weekly maximum: the schedule itself is the error
    patient("methotrexate 2.5 mg every day", ADULT, drug("Methotrexat", 2.5, 1, "Uống"), "dose", "hard_stop"),
    patient("methotrexate daily, no dose", ADULT, drug("Methotrexate", None, 1), "dose", "hard_stop", "methotrexate"),
    patient("amiodarone 1.8 g a day", ADULT, drug("Amiodarone", 600, 3), "dose", "warning", "amiodarone"),
    patient("colchicine 4 mg a day", ADULT, drug("Colchicine", 1, 4), "dose", "hard_stop", "colchicine"),
    patient("digoxin 1 mg a day", ADULT, drug("Digoxin", 0.5, 2), "dose", "warning", "digoxin"),
    patient("digoxin 1.5 mg a day", ADULT, drug("Digoxin", 0.5, 3), "dose", "hard_stop", "digoxin"),
    patient("ibuprofen 4.8 g a day", ADULT, drug("Ibuprofen", 800, 6), "dose", "hard_stop", "ibuprofen"),
    patient(
        "amoxicillin 250 mg/kg/day in a 12 kg child",
        {"age_years": 2, "weight_kg": 12},
        drug("Amoxicilin", 1000, 3),
        "dose",
        "hard_stop",
        "amoxicillin",
    ),
    patient("potassium chloride oral 15 g a day", ADULT, drug("Kali clorid", 3000, 5, "Uống"), "dose", "warning"),
    patient("potassium chloride IV 6 g at once", ADULT, drug("Potassium chloride", 6000, 1, "IV"), "dose", "hard_stop"),
    patient("metoclopramide 20 mg three times", ADULT, drug("Metoclopramide", 20, 3), "dose", "warning"),
    patient("tramadol 800 mg a day", ADULT, drug("Tramadol", 200, 4), "dose", "hard_stop", "tramadol"),
    patient("warfarin 20 mg", ADULT, drug("Warfarin", 20, 1), "dose", "warning", "warfarin"),
    patient("haloperidol oral 30 mg", ADULT, drug("Haloperidol", 15, 2, "oral"), "dose", "warning", "haloperidol"),
]

RENAL = [
    patient(
        "metformin CrCl 25",
        {"age_years": 70, "creatinine_clearance_ml_min": 25},
        drug("Metformin", 500, 2),
        "dose",
        "hard_stop",
        "metformin",
    ),
    patient(
        "ibuprofen CrCl 20", {"creatinine_clearance_ml_min": 20}, drug("Ibuprofen"), "dose", "hard_stop", "ibuprofen"
    ),
    patient("fondaparinux CrCl 15", {"creatinine_clearance_ml_min": 15}, drug("Fondaparinux"), "dose", "hard_stop"),
    patient("diclofenac CrCl 25", {"creatinine_clearance_ml_min": 25}, drug("Diclofenac"), "dose", "warning"),
    patient("gentamicin CrCl 40", {"creatinine_clearance_ml_min": 40}, drug("Gentamicin"), "dose", "warning"),
    patient("vancomycin CrCl 30", {"creatinine_clearance_ml_min": 30}, drug("Vancomycin"), "dose", "warning"),
    patient("nitrofurantoin CrCl 30", {"creatinine_clearance_ml_min": 30}, drug("Nitrofurantoin"), "dose", "warning"),
    patient("spironolactone CrCl 20", {"creatinine_clearance_ml_min": 20}, drug("Spironolactone"), "dose", "warning"),
    patient(
        "ibuprofen CrCl 45", {"creatinine_clearance_ml_min": 45}, drug("Ibuprofen"), "dose", "warning", "ibuprofen"
    ),
    patient("dabigatran CrCl 20", {"creatinine_clearance_ml_min": 20}, drug("Dabigatran"), "dose", "hard_stop"),
    patient("metformin N18.5", {"diagnoses": ["N18.5"]}, drug("Metformin"), "diagnosis", "hard_stop", "metformin"),
]

PREGNANCY = [
    patient("warfarin", PREGNANT, drug("Warfarin"), "pregnancy", "hard_stop", "warfarin"),
    patient("isotretinoin", PREGNANT, drug("Isotretinoin"), "pregnancy", "hard_stop", "isotretinoin"),
    patient("enalapril", PREGNANT, drug("Enalapril"), "pregnancy", "hard_stop", "enalapril"),
    patient("losartan", PREGNANT, drug("Losartan"), "pregnancy", "hard_stop", "losartan"),
    patient("atorvastatin", PREGNANT, drug("Atorvastatin"), "pregnancy", "warning", "atorvastatin"),
    patient("valproate", PREGNANT, drug("Sodium valproate"), "pregnancy", "hard_stop"),
    patient("methotrexate", PREGNANT, drug("Methotrexat"), "pregnancy", "hard_stop", "methotrexate"),
    patient("misoprostol", PREGNANT, drug("Misoprostol"), "pregnancy", "hard_stop", "misoprostol"),
    patient("doxycycline", PREGNANT, drug("Doxycyclin"), "pregnancy", "hard_stop", "doxycycline"),
    patient("ciprofloxacin", PREGNANT, drug("Ciprofloxacin"), "pregnancy", "warning", "ciprofloxacin"),
    patient("leflunomide", PREGNANT, drug("Leflunomide"), "pregnancy", "hard_stop", "leflunomide"),
    patient("finasteride", PREGNANT, drug("Finasteride"), "pregnancy", "hard_stop", "finasteride"),
    patient("dutasteride", PREGNANT, drug("Dutasteride"), "pregnancy", "hard_stop", "dutasteride"),
    patient("thalidomide", PREGNANT, drug("Thalidomide"), "pregnancy", "hard_stop", "thalidomide"),
    patient("ribavirin", PREGNANT, drug("Ribavirin"), "pregnancy", "hard_stop", "ribavirin"),
    patient("mycophenolate", PREGNANT, drug("Mycophenolate mofetil"), "pregnancy", "hard_stop"),
    patient("methimazole", PREGNANT, drug("Methimazole"), "pregnancy", "warning", "thiamazole"),
    patient("carbimazole", PREGNANT, drug("Carbimazole"), "pregnancy", "warning", "carbimazole"),
    patient("lithium", PREGNANT, drug("Lithium"), "pregnancy", "warning", "lithium"),
    patient("phenytoin", PREGNANT, drug("Phenytoin"), "pregnancy", "warning", "phenytoin"),
    patient("ibuprofen", PREGNANT, drug("Ibuprofen"), "pregnancy", "warning", "ibuprofen"),
    patient(
        "co-trimoxazole (VN spelling)", PREGNANT, drug("Co-trimoxazol"), "pregnancy", "warning", "sulfamethoxazole"
    ),
    patient("letrozole", PREGNANT, drug("Letrozol"), "pregnancy", "hard_stop", "letrozole"),
    patient("pregnancy from ICD-10 Z34", {"diagnoses": ["Z34.0"]}, drug("Warfarin"), "pregnancy", "hard_stop"),
]

DIAGNOSES = [
    patient("propranolol in asthma", {"diagnoses": ["J45.9"]}, drug("Propranolol"), "diagnosis", "hard_stop"),
    patient("ibuprofen in peptic ulcer", {"diagnoses": ["K25.3"]}, drug("Ibuprofen"), "diagnosis", "hard_stop"),
    patient("diclofenac in duodenal ulcer", {"diagnoses": ["K26"]}, drug("Diclofenac"), "diagnosis", "hard_stop"),
    patient("ibuprofen in heart failure", {"diagnoses": ["I50.0"]}, drug("Ibuprofen"), "diagnosis", "warning"),
    patient("metformin in hepatic failure", {"diagnoses": ["K72.1"]}, drug("Metformin"), "diagnosis", "hard_stop"),
    patient("ceftriaxone in neonatal jaundice", {"diagnoses": ["P59.9"]}, drug("Ceftriaxon"), "diagnosis", "hard_stop"),
    patient("levofloxacin in aortic aneurysm", {"diagnoses": ["I71.4"]}, drug("Levofloxacin"), "diagnosis", "warning"),
    patient("diazepam in myasthenia", {"diagnoses": ["G70.0"]}, drug("Diazepam"), "diagnosis", "warning"),
    patient("enalapril after angioedema", {"diagnoses": ["T78.3"]}, drug("Enalapril"), "diagnosis", "hard_stop"),
    patient("tolterodine in angle closure", {"diagnoses": ["H40.2"]}, drug("Tolterodine"), "diagnosis", "hard_stop"),
    patient("domperidone in hepatic failure", {"diagnoses": ["K72"]}, drug("Domperidon"), "diagnosis", "hard_stop"),
    patient(
        "sildenafil after a myocardial infarction",
        {"diagnoses": ["I21.0"]},
        drug("Sildenafil"),
        "diagnosis",
        "hard_stop",
    ),
    patient("methotrexate in cirrhosis", {"diagnoses": ["K74.6"]}, drug("Methotrexat"), "diagnosis", "hard_stop"),
    patient("levofloxacin in myasthenia (G70)", {"diagnoses": ["G70"]}, drug("Levofloxacin"), "diagnosis", "warning"),
    patient("ibuprofen in CKD stage 4", {"diagnoses": ["N18.4"]}, drug("Ibuprofen"), "diagnosis", "hard_stop"),
    patient("oxybutynin in glaucoma", {"diagnoses": ["H40"]}, drug("Oxybutynin"), "diagnosis", "warning"),
    patient("atropine in angle-closure glaucoma", {"diagnoses": ["H40.2"]}, drug("Atropine"), "diagnosis", "hard_stop"),
    patient("oxybutynin in BPH", {"diagnoses": ["N40"]}, drug("Oxybutynin"), "diagnosis", "warning"),
    patient("verapamil in heart failure", {"diagnoses": ["I50.9"]}, drug("Verapamil"), "diagnosis", "warning"),
    patient("diltiazem in heart failure", {"diagnoses": ["I50.1"]}, drug("Diltiazem"), "diagnosis", "warning"),
    patient("tramadol in epilepsy", {"diagnoses": ["G40.9"]}, drug("Tramadol"), "diagnosis", "warning"),
    patient("ciprofloxacin in myasthenia", {"diagnoses": ["G70.0"]}, drug("Ciprofloxacin"), "diagnosis", "warning"),
    patient("ethinylestradiol after PE", {"diagnoses": ["I26.9"]}, drug("Ethinylestradiol"), "diagnosis", "hard_stop"),
    patient("estradiol after DVT", {"diagnoses": ["I80.2"]}, drug("Estradiol"), "diagnosis", "hard_stop"),
    patient("pioglitazone in heart failure", {"diagnoses": ["I50"]}, drug("Pioglitazon"), "diagnosis", "hard_stop"),
    patient("metoclopramide in Parkinson", {"diagnoses": ["G20"]}, drug("Metoclopramid"), "diagnosis", "hard_stop"),
]

AGES = [
    patient("aspirin at 10 (Reye)", {"age_years": 10, "weight_kg": 30}, drug("Aspirin"), "dose", "hard_stop"),
    patient("alimemazine at 1", {"age_years": 1}, drug("Alimemazin"), "dose", "hard_stop", "alimemazine"),
    patient("co-trimoxazole at 3 weeks", {"age_years": 0.06}, drug("co-trimoxazole"), "dose", "hard_stop"),
    patient("lorazepam at 80", {"age_years": 80}, drug("Lorazepam"), "dose", "warning", "lorazepam"),
    patient("pethidine at 80", {"age_years": 80}, drug("Pethidine"), "dose", "warning", "pethidine"),
    patient("codeine at 8", {"age_years": 8, "weight_kg": 25}, drug("Codein"), "dose", "hard_stop", "codeine"),
    patient("tramadol at 10", {"age_years": 10, "weight_kg": 30}, drug("Tramadol"), "dose", "hard_stop", "tramadol"),
    patient("ciprofloxacin at 10", {"age_years": 10}, drug("Ciprofloxacin"), "dose", "warning", "ciprofloxacin"),
    patient("doxycycline at 6", {"age_years": 6}, drug("Doxycycline"), "dose", "warning", "doxycycline"),
    patient("tetracycline at 7", {"age_years": 7}, drug("Tetracyclin"), "dose", "warning", "tetracycline"),
    patient("chloramphenicol in a neonate", {"age_years": 0.02}, drug("Chloramphenicol"), "dose", "warning"),
    patient("promethazine at 1", {"age_years": 1}, drug("Promethazine"), "dose", "hard_stop", "promethazine"),
    patient("metoclopramide at 6 months", {"age_years": 0.5}, drug("Metoclopramide"), "dose", "hard_stop"),
    patient("metoclopramide at 10", {"age_years": 10}, drug("Metoclopramide"), "dose", "warning", "metoclopramide"),
]

DANGEROUS = INTERACTIONS + DUPLICATES + ALLERGIES + DOSES + RENAL + PREGNANCY + DIAGNOSES + AGES


def _alerts(request: dict[str, Any]) -> list[dict[str, Any]]:
    answer = run_check(json.dumps(request))
    assert answer["unmapped"] == [], f"names the knowledge cannot map: {answer['unmapped']}"
    alerts: list[dict[str, Any]] = answer["alerts"]
    return alerts


def _describe(alerts: list[dict[str, Any]]) -> str:
    return "; ".join(f"{a['severity']} {a['kind']} {a['substances']} {a['rule']}" for a in alerts) or "no alert"


@pytest.mark.parametrize("case", DANGEROUS, ids=lambda case: f"{case.kind}:{case.id}")
def test_dangerous_prescription_is_flagged(case: Case) -> None:
    alerts = _alerts(case.request)
    matching = [
        alert
        for alert in alerts
        if alert["kind"] == case.kind
        and set(case.involves) <= set(alert["substances"])
        and _RANK[alert["severity"]] <= _RANK[case.severity]
    ]
    assert matching, f"expected a {case.kind} alert of at least {case.severity}; got {_describe(alerts)}"
    alert = matching[0]
    assert alert["message"].strip() and "{" not in alert["message"], alert["message"]
    assert alert["source"].strip()


def test_the_table_is_large_enough_and_covers_every_kind() -> None:
    assert len(DANGEROUS) >= 60
    assert {case.kind for case in DANGEROUS} == {
        "interaction",
        "allergy",
        "duplicate",
        "dose",
        "diagnosis",
        "pregnancy",
    }
    assert len({case.id for case in DANGEROUS}) == len(DANGEROUS)


SAFE = [
    Case("amlodipine+atorvastatin", {"new": [drug("Amlodipine", 5, 1), drug("Atorvastatin", 20, 1)]}, "", ""),
    Case("paracetamol 500 mg 4 a day", {"patient": ADULT, "new": [drug("Paracetamol", 500, 4)]}, "", ""),
    Case("amoxicillin, no allergy", {"patient": ADULT, "new": [drug("Amoxicilin", 500, 3, "Uống")]}, "", ""),
    Case(
        "metformin CrCl 80",
        {"patient": {"age_years": 55, "creatinine_clearance_ml_min": 80}, "new": [drug("Metformin", 850, 2)]},
        "",
        "",
    ),
    Case(
        "H. pylori triple therapy",
        {
            "patient": ADULT,
            "new": [drug("Omeprazole", 20, 2), drug("Amoxicillin", 1000, 2), drug("Clarithromycin", 500, 2)],
        },
        "",
        "",
    ),
    Case(
        "aspirin+clopidogrel after a stent",
        {"patient": MALE, "new": [drug("Clopidogrel", 75, 1)], "active": [drug("Aspirin", 81, 1)]},
        "",
        "",
    ),
    Case(
        "enalapril+amlodipine+hydrochlorothiazide",
        {
            "patient": MALE,
            "new": [drug("Enalapril", 10, 1), drug("Amlodipin", 5, 1), drug("Hydrochlorothiazide", 25, 1)],
        },
        "",
        "",
    ),
    Case(
        "paracetamol 15 mg/kg in a 20 kg child",
        {"patient": {"age_years": 6, "weight_kg": 20}, "new": [drug("Paracetamol", 300, 4)]},
        "",
        "",
    ),
    Case("losartan in a man", {"patient": MALE, "new": [drug("Losartan", 50, 1)]}, "", ""),
    Case(
        "folic acid in pregnancy",
        {"patient": PREGNANT, "new": [drug("Acid folic", 5, 1), drug("Paracetamol", 500, 3)]},
        "",
        "",
    ),
    Case(
        "penicillin allergy, azithromycin",
        {"patient": {"allergies": ["penicillin"]}, "new": [drug("Azithromycin", 500, 1)]},
        "",
        "",
    ),
    Case(
        "metformin+sitagliptin+atorvastatin",
        {
            "patient": MALE,
            "new": [drug("Metformin", 1000, 2), drug("Sitagliptin", 100, 1), drug("Atorvastatin", 10, 1)],
        },
        "",
        "",
    ),
    Case(
        "salbutamol inhaler with budesonide in asthma",
        {
            "patient": {"diagnoses": ["J45.9"]},
            "new": [drug("Salbutamol", 0.1, 4, "hít"), drug("Budesonide", 0.2, 2, "hít")],
        },
        "",
        "",
    ),
    Case(
        "methotrexate 15 mg once a week with folic acid",
        {"patient": ADULT, "new": [drug("Methotrexate", 15, 1 / 7, "oral"), drug("Folic acid", 5, 1 / 7)]},
        "",
        "",
    ),
    Case(
        "amoxicillin 50 mg/kg/day in a 15 kg child",
        {"patient": {"age_years": 3, "weight_kg": 15}, "new": [drug("Amoxicilin", 250, 3)]},
        "",
        "",
    ),
    Case("paracetamol 1 g 4 times a day", {"patient": ADULT, "new": [drug("Paracetamol", 1000, 4)]}, "", ""),
    Case(
        "cetirizine in an adult",
        {"patient": ADULT, "new": [drug("Cetirizine", 10, 1)], "active": [drug("Omeprazole", 20, 1)]},
        "",
        "",
    ),
]


@pytest.mark.parametrize("case", SAFE, ids=lambda case: case.id)
def test_common_safe_prescription_is_not_stopped(case: Case) -> None:
    alerts = _alerts(case.request)
    stops = [alert for alert in alerts if alert["severity"] == "hard_stop"]
    assert not stops, _describe(stops)
    assert not [alert for alert in alerts if alert["kind"] == "duplicate"], _describe(alerts)


def test_safe_cases_are_enough() -> None:
    assert len(SAFE) >= 8
