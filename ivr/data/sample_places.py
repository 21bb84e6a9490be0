"""Places and names for the sample exports (sample data only: the live mirror takes
every place from the ministry's export, never from this table).

Province codes 01-15 follow docs (DOMAIN.md: 13 Jawa Timur is confirmed, the others
follow the old ministry ordering); 19, 20 and 23 continue that ordering, unconfirmed.
Kabupaten codes are BPS codes. Quotas are illustrative 2026-like figures (Jatim's
42,409 is the published one); Bipih per embarkasi spans the published 2026 range
(Aceh Rp 45,109,422 up to Surabaya Rp 60,645,422).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Province:
    code: str  # kd_prop, also the first two digits of nomor_porsi
    name: str
    embarkasi: tuple[str, ...]
    kuota: int  # this season's provincial quota
    kabupaten: tuple[tuple[str, str], ...]  # (kd_kab, name)


@dataclass(frozen=True)
class Embarkasi:
    code: str
    zona_waktu: str
    maskapai: str
    flight_base: int  # kloter N flies as e.g. GA 6100+N
    bipih: int  # 2026 Bipih in rupiah for pilgrims flying from here


# kd_prop | provinsi | embarkasi | kuota | kd_kab kabupaten; ...
_PROVINCES = """
01|Aceh|BTJ|4378|1106 Aceh Besar; 1171 Kota Banda Aceh
02|Sumatera Utara|KNO|8292|1207 Deli Serdang; 1275 Kota Medan
03|Sumatera Barat|PDG|4620|1305 Padang Pariaman; 1371 Kota Padang
04|Riau|BTH|5032|1406 Kampar; 1471 Kota Pekanbaru
05|Jambi|BTH|2988|1505 Muaro Jambi; 1571 Kota Jambi
06|Sumatera Selatan|PLM|6928|1602 Ogan Komering Ilir; 1671 Kota Palembang
07|Bengkulu|PLM|1600|1771 Kota Bengkulu
08|Lampung|JKG|6920|1801 Lampung Selatan; 1871 Kota Bandar Lampung
09|DKI Jakarta|JKG|7819|3171 Kota Jakarta Selatan; 3172 Kota Jakarta Timur
10|Jawa Barat|JKS KJT|38723|3201 Bogor; 3204 Bandung; 3209 Cirebon; 3273 Kota Bandung
11|Jawa Tengah|SOC|30377|3310 Klaten; 3372 Kota Surakarta; 3374 Kota Semarang
12|DI Yogyakarta|YIA|3116|3404 Sleman; 3471 Kota Yogyakarta
13|Jawa Timur|SUB|42409|3507 Malang; 3515 Sidoarjo; 3524 Lamongan; 3578 Kota Surabaya
14|Bali|SUB|698|5171 Kota Denpasar
15|Nusa Tenggara Barat|LOP|4499|5203 Lombok Timur; 5271 Kota Mataram
19|Kalimantan Selatan|BDJ|3818|6303 Banjar; 6371 Kota Banjarmasin
20|Kalimantan Timur|BPN|2635|6471 Kota Balikpapan; 6472 Kota Samarinda
23|Sulawesi Selatan|UPG|7272|7303 Bantaeng; 7306 Gowa; 7371 Kota Makassar
"""


def _province(line: str) -> Province:
    code, name, embarkasi, kuota, kabupaten = line.split("|")
    places = tuple((k[:4], k[5:]) for k in kabupaten.split("; "))
    return Province(code, name, tuple(embarkasi.split()), int(kuota), places)


PROVINCES = tuple(_province(line) for line in _PROVINCES.strip().splitlines())

EMBARKASI = {
    e.code: e
    for e in (
        Embarkasi("BTJ", "WIB", "GA", 6100, 45_109_422),
        Embarkasi("KNO", "WIB", "GA", 6200, 47_391_022),
        Embarkasi("PDG", "WIB", "GA", 6300, 48_722_122),
        Embarkasi("BTH", "WIB", "SV", 5100, 49_280_522),
        Embarkasi("PLM", "WIB", "SV", 5200, 50_139_822),
        Embarkasi("JKG", "WIB", "GA", 6400, 55_431_722),
        Embarkasi("JKS", "WIB", "SV", 5300, 55_620_322),
        Embarkasi("KJT", "WIB", "SV", 5400, 55_983_522),
        Embarkasi("SOC", "WIB", "GA", 6500, 56_905_422),
        Embarkasi("YIA", "WIB", "SV", 5500, 56_712_922),
        Embarkasi("SUB", "WIB", "SV", 5600, 60_645_422),
        Embarkasi("LOP", "WITA", "GA", 6600, 57_214_622),
        Embarkasi("BDJ", "WITA", "GA", 6700, 55_950_822),
        Embarkasi("BPN", "WITA", "GA", 6800, 57_408_122),
        Embarkasi("UPG", "WITA", "GA", 6900, 56_880_722),
    )
}
MASKAPAI = {"GA": "Garuda Indonesia", "SV": "Saudia"}

# Names as SISKOHAT writes them, "<given> <second> BIN|BINTI <father>"; one line each of
# male given names, female given names, second names and fathers' names.
_NAMES = """
AHMAD MUHAMMAD ABDUL HASAN SLAMET BAMBANG AGUS SUTRISNO IMAM YUSUF ZAINAL TEUKU
SITI NUR AMINAH FATIMAH SRI ENDANG SUMIATI HALIMAH KHADIJAH RATNA DEWI CUT
FAUZI HIDAYAT RAHMAN SUBAGYO HARYANTO ARIFIN WAHYUNI SALEH MARYAM ROHANI
ABDULLAH SULAIMAN ISMAIL HASYIM MUSTAFA SANUSI KARTO WIRYO IDRIS MAHMUD
"""
MALE, FEMALE, SECOND, FATHER = (tuple(line.split()) for line in _NAMES.strip().splitlines())
