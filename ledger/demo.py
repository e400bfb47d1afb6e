"""Realistic demo data: KTP, SIM and passport applications across several offices, with complaints.

Every name, NIK and key made here is DEMO DATA, generated from a seed; none is real.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

DAY = 86_400
HOUR = 3_600


@dataclass(frozen=True)
class DemoAgency:
    code: str
    name: str
    service: str  # ktp | sim | paspor | pengaduan
    prefix: str  # case reference prefix


AGENCIES = (
    DemoAgency("dukcapil.jaksel", "Dinas Dukcapil Kota Jakarta Selatan", "ktp", "KTP-JKS"),
    DemoAgency("dukcapil.jaktim", "Dinas Dukcapil Kota Jakarta Timur", "ktp", "KTP-JKT"),
    DemoAgency("polri.satpas-bandung", "Satpas Polrestabes Bandung", "sim", "SIM-BDG"),
    DemoAgency("polri.satpas-jakbar", "Satpas Polres Metro Jakarta Barat", "sim", "SIM-JKB"),
    DemoAgency("imigrasi.surabaya", "Kantor Imigrasi Kelas I Khusus TPI Surabaya", "paspor", "PSP-SBY"),
    DemoAgency("pemkot.kupang", "Layanan Pengaduan Pemerintah Kota Kupang", "pengaduan", "ADU-KPG"),
)
COMPLAINTS_DESK = "pemkot.kupang"

# (eventType, summary, typical hours after the previous step)
JOURNEYS: dict[str, list[tuple[str, str, float]]] = {
    "ktp": [
        ("application.submitted", "Permohonan KTP-el diterima di loket kecamatan", 0),
        ("documents.verified", "Dokumen KK dan akta kelahiran diverifikasi", 20),
        ("biometrics.recorded", "Perekaman foto, sidik jari dan iris selesai", 30),
        ("document.printed", "Blangko KTP-el dicetak", 72),
        ("document.issued", "KTP-el diserahkan kepada pemohon", 48),
    ],
    "sim": [
        ("application.submitted", "Permohonan SIM A baru diterima", 0),
        ("health.checked", "Surat keterangan sehat jasmani diterima", 2),
        ("psychology.passed", "Tes psikologi dinyatakan memenuhi syarat", 3),
        ("exam.theory_passed", "Ujian teori lulus", 2),
        ("exam.practice_passed", "Ujian praktik lulus", 24),
        ("document.issued", "SIM A dicetak dan diserahkan", 2),
    ],
    "paspor": [
        ("application.submitted", "Permohonan paspor elektronik diterima (M-Paspor)", 0),
        ("payment.received", "Pembayaran PNBP paspor diterima", 10),
        ("interview.completed", "Wawancara dan pemeriksaan dokumen selesai", 96),
        ("biometrics.recorded", "Foto dan sidik jari direkam", 1),
        ("document.printed", "Paspor dicetak", 72),
        ("document.issued", "Paspor diserahkan kepada pemohon", 30),
    ],
}
REJECTIONS = {
    "ktp": ("application.rejected", "Permohonan ditolak: data KK tidak sesuai, silakan perbarui KK"),
    "sim": ("exam.practice_failed", "Ujian praktik belum lulus, dapat mengulang setelah 14 hari"),
    "paspor": ("application.rejected", "Permohonan ditolak: dokumen pendukung tidak lengkap"),
}
GIVEN_NAMES = ("Siti", "Budi", "Dewi", "Agus", "Rina", "Wahyu", "Putri", "Andi", "Nur", "Yohanes", "Made", "Fitri")
FAMILY_NAMES = ("Rahayu", "Santoso", "Lestari", "Pratama", "Hidayat", "Simanjuntak", "Wijaya", "Nainggolan", "Saragih")
COMPLAINTS = (
    ("delay", "Sudah lebih dari dua minggu belum ada kabar tentang permohonan saya."),
    ("fee", "Saya diminta membayar biaya tambahan di loket tanpa kuitansi."),
    ("conduct", "Petugas tidak ramah dan tidak menjelaskan persyaratan."),
)


@dataclass
class DemoStep:
    event_type: str
    summary: str
    occurred_at: int
    payload: Any = None


@dataclass
class DemoCase:
    agency: DemoAgency
    ref: str
    steps: list[DemoStep] = field(default_factory=list)
    complaint: tuple[str, str, bool] | None = None  # (category, message, answered)


def _person(rng: random.Random) -> dict[str, str]:
    province = rng.choice(("31", "32", "35", "53"))
    return {
        "nama": f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}",
        "nik": province + "".join(str(rng.randrange(10)) for _ in range(14)),
        "catatan": "DATA DEMO, bukan data asli",
    }


def generate(seed: int, now_s: int, cases_per_office: int = 40) -> list[DemoCase]:
    """Cases spread over the last 30 days, most completed, some rejected, some still in progress."""
    rng = random.Random(seed)
    out: list[DemoCase] = []
    for agency in AGENCIES:
        if agency.service not in JOURNEYS:
            continue
        journey = JOURNEYS[agency.service]
        for n in range(cases_per_office):
            case = DemoCase(agency, f"{agency.prefix}-2026-{n + 1:06d}")
            t = now_s - rng.randrange(2 * DAY, 30 * DAY)
            fate = rng.random()
            length = len(journey) if fate < 0.65 else rng.randrange(1, len(journey))
            for i, (event_type, summary, hours) in enumerate(journey[:length]):
                t += int(hours * HOUR * rng.uniform(0.5, 2.0)) + rng.randrange(600, 3 * HOUR)
                if t > now_s - HOUR:
                    break
                payload = _person(rng) if i == 0 else None
                case.steps.append(DemoStep(event_type, summary, t, payload))
            if 0.65 <= fate < 0.75 and case.steps:
                event_type, summary = REJECTIONS[agency.service]
                case.steps.append(DemoStep(event_type, summary, min(now_s - HOUR, t + 6 * HOUR)))
            if rng.random() < 0.12 and case.steps:
                category, message = rng.choice(COMPLAINTS)
                case.complaint = (category, message, rng.random() < 0.6)
            out.append(case)
    return out
