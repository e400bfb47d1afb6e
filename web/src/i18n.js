// Every string the pages show, in Bahasa Indonesia (default) and English.
// `t(key, params)` interpolates {name}; a key missing in English falls back to Indonesian.
// Its length is the two tables, key for key: split, a key and its translation would sit in two files.

export const LANGS = ['id', 'en'];

const id = {
  'lang.switch': 'English',
  'lang.switchLabel': 'Switch the language to English',
  'skip': 'Langsung ke isi',
  'brand.tagline': 'Riwayat layanan publik yang bisa Anda periksa sendiri',
  'nav.citizen': 'Periksa perkara',
  'nav.audit': 'Dasbor auditor',
  'loading': 'Memuat…',

  'citizen.title': 'Periksa riwayat permohonan Anda',
  'citizen.intro': 'Masukkan nomor perkara dan kode akses yang tercetak pada tanda terima Anda, atau pindai kode QR-nya.',
  'citizen.privacy':
    'Saat Anda memeriksa perkara, kode akses tetap di perangkat ini: peramban Anda menghitung sendiri tanda pengenal perkara dan memeriksa setiap tanda tangan dan bukti. Hanya bila Anda mengajukan pengaduan, nomor perkara dan kode akses dikirim ke server (di dalam isi permintaan) untuk membuktikan bahwa Anda memegang perkara ini.',
  'form.ref': 'Nomor perkara',
  'form.refHint': 'Contoh: KTP-JKS-2026-000123',
  'form.code': 'Kode akses',
  'form.codeHint': '53 huruf dan angka dalam kelompok empat (kode lama: 52). Huruf besar/kecil dan tanda hubung tidak berpengaruh.',
  'form.submit': 'Periksa',
  'form.checking': 'Memeriksa…',
  'err.ref': 'Nomor perkara tidak valid: gunakan huruf, angka dan tanda hubung (paling banyak 64).',
  'err.code': 'Kode akses tidak valid: periksa lagi ke-53 karakternya (A–Z dan 2–7).',
  'err.codeCheck':
    'Periksa kode akses: ada karakter yang salah ketik (karakter pemeriksa terakhir tidak cocok). Bandingkan lagi dengan tanda terima.',
  'err.codeMissing': 'Tautan ini memuat nomor perkara tanpa kode akses. Masukkan kode akses yang tercetak pada tanda terima Anda.',
  'err.notFound':
    'Perkara tidak ditemukan. Periksa nomor perkara dan kode akses: keduanya harus persis seperti pada tanda terima. Jika permohonan baru saja diajukan, coba lagi beberapa saat lagi.',
  'err.rate': 'Terlalu banyak permintaan. Coba lagi sebentar lagi.',
  'err.network': 'Server Saksi tidak dapat dihubungi. Periksa koneksi Anda.',
  'err.server': 'Server menjawab dengan kesalahan ({status}).',
  'err.malformed': 'Server mengirim data yang tidak sesuai format Saksi: {detail}',

  'verdict.ok.title': 'Terverifikasi',
  'verdict.ok.text':
    'Semua pemeriksaan berhasil. Riwayat ini ditandatangani oleh instansi, tercatat di log Saksi, dan log itu terkunci di blockchain.',
  'verdict.partial.title': 'Terverifikasi sebagian',
  'verdict.partial.text': 'Tidak ditemukan kesalahan, tetapi beberapa pemeriksaan belum dapat dilakukan. Lihat rinciannya di bawah.',
  'verdict.fail.title': 'Ada masalah',
  'verdict.fail.text':
    'Setidaknya satu pemeriksaan gagal: data ini mungkin telah diubah. Unduh bundel bukti dan ajukan pengaduan.',

  'status.ok': 'Berhasil',
  'status.fail': 'Gagal',
  'status.warn': 'Perhatian',
  'status.pending': 'Menunggu',
  'status.skip': 'Tidak diperiksa',

  'checks.heading': 'Apa yang diperiksa peramban Anda',
  'check.commitment.title': 'Perkara Anda',
  'check.commitment.ok':
    'Peramban ini menemukan perkara Anda dari nomor perkara dan kode akses tanpa mengirim kode akses; server menyimpan {count} langkah untuk perkara ini.',
  'check.commitment.how': 'Tanda pengenal perkara = HMAC-SHA256(kode akses, nomor perkara), dihitung di peramban ini.',
  'check.commitment.fail': 'Server mengirim peristiwa milik perkara lain (langkah {steps}).',
  'check.signature.title': 'Tanda tangan instansi',
  'check.signature.ok': 'Setiap langkah ({count}) ditandatangani oleh instansinya sendiri, dengan kunci resmi yang terdaftar untuk instansi itu.',
  'check.signature.how': 'Tanda tangan EIP-712 setiap peristiwa, dibandingkan dengan daftar kunci instansi (/v1/agencies).',
  'check.signature.fail': 'Tanda tangan tidak cocok dengan isi atau dengan kunci terdaftar:',
  'check.signature.warn': 'Tanda tangan utuh, tetapi kuncinya tidak dapat dikonfirmasi di sini:',
  'sig.content-changed':
    'Langkah {caseSeq} ({eventId}): isinya diubah setelah ditandatangani. Tanda tangan kini menunjuk ke {recovered}, bukan ke kunci instansi {expected}.',
  'sig.not-registered-signer': 'Langkah {caseSeq} ({eventId}): ditandatangani oleh {recovered}, bukan kunci terdaftar {agency} ({expected}).',
  'sig.unknown-agency': 'Langkah {caseSeq} ({eventId}): instansi {agency} tidak ada dalam daftar.',
  'sig.malformed': 'Langkah {caseSeq} ({eventId}): tanda tangan rusak.',
  'sig.unrecoverable': 'Langkah {caseSeq} ({eventId}): tanda tangan tidak menunjuk ke kunci mana pun.',
  'sig.not-canonical': 'Langkah {caseSeq} ({eventId}): tanda tangan tidak dalam bentuk baku.',
  'sig.earlier-key':
    'Langkah {caseSeq} ({eventId}): ditandatangani dengan kunci lama {agency} ({recovered}). Daftar hanya memuat kunci saat ini, jadi kunci lama tidak dapat dikonfirmasi di sini.',
  'sig.agency-revoked': 'Langkah {caseSeq} ({eventId}): instansi {agency} sudah dicabut dan kuncinya tidak lagi tercantum.',
  'check.chain.title': 'Urutan riwayat',
  'check.chain.ok': 'Langkah 1 sampai {count} berurutan dan saling terkait: tidak ada langkah yang hilang, disisipkan atau ditukar.',
  'check.chain.how': 'Setiap langkah memuat hash langkah sebelumnya; langkah terakhir dibandingkan dengan kepala perkara yang dilaporkan server.',
  'chain.missing': 'Langkah {caseSeq} hilang dari riwayat.',
  'chain.link': 'Langkah {caseSeq} ({eventId}) tidak terhubung ke langkah sebelumnya.',
  'chain.head': 'Langkah terakhir tidak cocok dengan kepala perkara yang dilaporkan server.',
  'check.leaf.title': 'Catatan di log',
  'check.leaf.ok': 'Setiap langkah tercatat di log Saksi persis seperti yang ditandatangani, beserta waktu diterimanya.',
  'check.leaf.how': 'Catatan log (leaf) dihitung ulang dari isi, tanda tangan dan waktu diterima, lalu dibandingkan dengan yang disimpan di log.',
  'check.leaf.fail': 'Catatan log tidak cocok dengan isi untuk langkah {steps}.',
  'check.inclusion.title': 'Bukti inklusi',
  'check.inclusion.ok': 'Setiap langkah terbukti termasuk dalam log publik Saksi, yang sama bagi semua orang.',
  'check.inclusion.how': 'Bukti Merkle setiap peristiwa mengarah ke akar checkpoint (ukuran log {treeSize}).',
  'check.inclusion.warn':
    '{covered} peristiwa terbukti ada dalam checkpoint (ukuran log {treeSize}). {pending} peristiwa terbaru belum masuk checkpoint yang terkunci; periksa lagi nanti.',
  'check.inclusion.pending': 'Peristiwa ini belum masuk checkpoint yang terkunci di blockchain. Biasanya hanya beberapa menit; periksa lagi nanti.',
  'check.inclusion.fail': 'Bukti inklusi gagal:',
  'incl.proof': 'Langkah {caseSeq} ({eventId}): bukti tidak mengarah ke akar checkpoint.',
  'incl.no-proof': 'Langkah {caseSeq} ({eventId}): server tidak memberikan bukti.',
  'incl.two-versions': 'Langkah {caseSeq} ({eventId}): server memberikan dua versi berbeda dari peristiwa ini.',
  'check.checkpoint.title': 'Checkpoint',
  'check.checkpoint.ok': 'Ringkasan log (checkpoint) sah dan milik layanan Saksi ini.',
  'check.checkpoint.how': 'Checkpoint ukuran log {treeSize}, origin {origin}.',
  'check.checkpoint.pending': 'Belum ada checkpoint yang terkunci.',
  'cp.origin': 'Checkpoint menyebut {origin}, bukan {expectedOrigin}.',
  'cp.two-checkpoints': 'Server memberikan dua checkpoint yang berbeda.',
  'cp.anchor-domain': 'Transaksi anchor menyebut chain atau kontrak lain.',
  'cp.malformed': 'Checkpoint atau bundel rusak: {detail}',
  'check.anchor.title': 'Blockchain',
  'check.anchor.ok':
    'Peramban ini memastikan sendiri di blockchain ({rpc}) bahwa ringkasan log itu terkunci di sana: riwayat ini tidak dapat diubah lagi tanpa ketahuan.',
  'check.anchor.okSelf':
    'Ringkasan log cocok dengan blockchain bawaan server ini ({rpc}). Blockchain bawaan hanya untuk uji coba: pemeriksaan ini tidak lebih independen daripada server itu sendiri. Pada penerapan nyata, peramban membaca blockchain publik secara langsung.',
  'check.anchor.how': 'Kontrak rootAt({treeSize}) dibaca melalui {rpc} dan dibandingkan dengan akar checkpoint.',
  'check.anchor.skip':
    'Server ini tidak menyediakan alamat RPC publik, jadi peramban tidak membaca blockchain sendiri. Menurut server, checkpoint dikunci dalam transaksi {txHash} (blok {blockNumber}, chain {chainId}). Periksa transaksi itu di penjelajah blok, atau unduh bundel bukti dan jalankan “saksi verify --rpc URL”.',
  'check.anchor.skipNoTx': 'Server ini tidak menyediakan alamat RPC publik, jadi peramban tidak membaca blockchain sendiri.',
  'check.anchor.pending': 'Menunggu checkpoint pertama dikunci di blockchain.',
  'anchor.root-differs': 'Blockchain menyimpan akar lain untuk ukuran log {treeSize}: {chainRoot}.',
  'anchor.not-anchored': 'Kontrak tidak memiliki akar untuk ukuran log {treeSize}.',
  'anchor.wrong-chain': 'Alamat RPC melayani chain lain: {detail}',
  'anchor.chain-error': 'Pembacaan blockchain gagal: {detail}',
  'anchor.unreachable': 'Blockchain tidak dapat dihubungi ({detail}). Coba lagi nanti.',

  'case.heading': 'Perkara {ref}',
  'case.agency': 'Instansi',
  'case.status': 'Status terakhir',
  'case.started': 'Dimulai',
  'case.updated': 'Terakhir diperbarui',
  'case.steps': 'Jumlah langkah',
  'case.elapsed': 'Lama proses',
  'timeline.heading': 'Riwayat',
  'timeline.step': 'Langkah {n}',
  'timeline.after': '{duration} setelah langkah sebelumnya',
  'timeline.recorded': 'Dicatat Saksi {date}',
  'timeline.sig': 'Tanda tangan',
  'timeline.log': 'Log',
  'timeline.proof': 'Bukti',
  'timeline.anchored': 'Terkunci di blockchain',
  'timeline.pending': 'Menunggu checkpoint',
  'details': 'Detail teknis',
  'detail.commitment': 'Tanda pengenal perkara',
  'detail.eventHash': 'Hash peristiwa',
  'detail.signer': 'Penanda tangan',
  'detail.leafIndex': 'Indeks leaf',
  'detail.leafHash': 'Hash leaf',
  'detail.root': 'Akar checkpoint',
  'detail.treeSize': 'Ukuran log',
  'detail.tx': 'Transaksi',
  'detail.block': 'Blok',
  'detail.how': 'Cara pemeriksaan',

  'actions.heading': 'Simpan dan tindak lanjuti',
  'actions.download': 'Unduh bundel bukti (JSON)',
  'actions.downloadHint': 'Siapa pun dapat memeriksa file ini tanpa server Saksi: saksi verify bundel.json',
  'actions.downloadUnavailable': 'Bundel bukti tersedia setelah peristiwa perkara ini masuk checkpoint yang terkunci di blockchain.',
  'actions.print': 'Cetak tanda terima dengan kode QR',
  'actions.complain': 'Ajukan pengaduan',

  'receipt.title': 'Tanda terima Saksi',
  'receipt.complaintTitle': 'Tanda terima pengaduan Saksi',
  'receipt.keep': 'Simpan kode akses ini. Siapa pun yang memegangnya dapat melihat riwayat perkara ini.',
  'receipt.scan': 'Pindai kode QR untuk membuka dan memeriksa perkara ini.',
  'receipt.printed': 'Dicetak {date}',
  'receipt.link': 'Tautan',

  'complaint.heading': 'Ajukan pengaduan',
  'complaint.intro':
    'Pengaduan Anda dicatat sebagai perkara baru, ditandatangani meja pengaduan, dan diteruskan ke instansi. Untuk membuktikan bahwa Anda memegang perkara ini, nomor perkara dan kode akses dikirim ke server (di dalam isi permintaan, tidak di alamat).',
  'complaint.category': 'Jenis pengaduan',
  'complaint.message': 'Pesan',
  'complaint.messageHint': 'Jangan menulis data pribadi yang tidak perlu. Paling banyak 2000 karakter.',
  'complaint.count': '{n} / 2000',
  'complaint.submit': 'Kirim pengaduan',
  'complaint.sending': 'Mengirim…',
  'complaint.cancel': 'Batal',
  'complaint.done': 'Pengaduan diterima',
  'complaint.doneText': 'Ikuti pengaduan Anda dengan nomor perkara dan kode akses baru ini. Simpan atau cetak sekarang: kode akses tidak dapat ditampilkan lagi.',
  'complaint.open': 'Buka pengaduan ini',
  'complaint.print': 'Cetak tanda terima pengaduan',
  'complaint.err.empty': 'Tuliskan pesan pengaduan Anda.',
  'complaint.err.404': 'Perkara tidak ditemukan.',
  'complaint.err.429': 'Terlalu banyak pengaduan dari alamat ini. Coba lagi nanti.',
  'complaint.err.503': 'Meja pengaduan belum tersedia di server ini.',
  'complaint.err.422': 'Pengaduan tidak valid: {detail}',
  'complaint.err.other': 'Pengaduan gagal dikirim ({status}).',
  'category.general': 'Umum',
  'category.delay': 'Keterlambatan',
  'category.fee': 'Biaya atau pungutan',
  'category.conduct': 'Perilaku petugas',
  'category.data': 'Data salah',
  'category.other': 'Lainnya',

  'about.heading': 'Bagaimana ini bekerja',
  'about.text':
    'Setiap instansi menandatangani setiap langkah layanan dengan kuncinya. Saksi mencatat langkah itu dalam log yang hanya bisa bertambah, dan secara berkala mengunci ringkasan log (checkpoint) di blockchain. Halaman ini memeriksa ketiganya di peramban Anda. Untuk pemeriksaan yang sepenuhnya lepas dari server ini, unduh bundel bukti dan periksa dengan alat lain.',

  'duration.day': '{n} hari',
  'duration.hour': '{n} jam',
  'duration.minute': '{n} menit',
  'duration.lessThanMinute': 'kurang dari 1 menit',

  'audit.title': 'Dasbor auditor',
  'audit.intro':
    'Statistik layanan yang dihitung dari peristiwa bertanda tangan di log Saksi. Untuk audit penuh, jalankan “saksi audit”: ia menghitung ulang seluruh log dan membandingkannya dengan blockchain.',
  'audit.summary': 'Ringkasan',
  'audit.updated': 'Diperbarui {time}',
  'audit.refresh': 'Muat ulang',
  'audit.error': 'Statistik tidak dapat dimuat ({detail}).',
  'tile.treeSize': 'Ukuran log',
  'tile.anchoredSize': 'Terkunci di blockchain',
  'tile.unanchored': 'Belum terkunci',
  'tile.lag': 'Jeda anchoring',
  'tile.cases': 'Perkara',
  'tile.complaintsOpen': 'Pengaduan terbuka',
  'unit.leaves': 'leaf',
  'unit.seconds': '{n} dtk',
  'note.statsAsOf': 'per ukuran log {n}',
  'chart.volumes': 'Jumlah peristiwa per hari',
  'chart.by': 'Kelompokkan menurut',
  'chart.byService': 'Layanan',
  'chart.byOffice': 'Kantor',
  'chart.completion': 'Waktu penyelesaian per layanan (hari)',
  'chart.completionNote': 'Dari langkah pertama sampai dokumen diserahkan, ditolak atau perkara ditutup.',
  'chart.median': 'Median',
  'chart.p90': 'Persentil 90',
  'chart.cases': '{n} perkara',
  'chart.complaints': 'Pengaduan',
  'chart.open': 'Terbuka',
  'chart.resolved': 'Selesai',
  'chart.anchoring': 'Ukuran log dan anchoring',
  'chart.anchoringNote': 'Diambil setiap {n} detik sejak halaman ini dibuka.',
  'chart.treeSize': 'Ukuran log',
  'chart.anchored': 'Terkunci',
  'chart.lag': 'Jeda anchoring (detik)',
  'chart.noData': 'Belum ada data.',
  'chart.table': 'Lihat data',
  'chart.day': 'Hari',
  'chart.time': 'Waktu',
  'checkpoint.heading': 'Checkpoint terbaru',
  'checkpoint.none': 'Belum ada checkpoint.',
  'checkpoint.status': 'Status',
  'checkpoint.notAnchored': 'belum terkunci',
  'anchorStatus.pending': 'menunggu ditambang',
  'anchorStatus.mined': 'ditambang, menunggu konfirmasi',
  'anchorStatus.confirmed': 'terkunci di blockchain',
  'anchorStatus.dropped': 'transaksi hilang, dikirim ulang',
  'auditResult.heading': 'Hasil audit terakhir',
  'auditResult.notRun': 'Belum dijalankan.',
  'auditResult.hint': 'Jalankan “saksi audit --data-dir DIR” untuk menghitung ulang seluruh log dan membandingkannya dengan blockchain.',
  'auditResult.ok': 'Tidak ada selisih.',
  'auditResult.discrepancies': '{n} selisih ditemukan',
  'auditResult.ranAt': 'Dijalankan {time}',
  'auditResult.kind': 'Jenis',
  'auditResult.where': 'Peristiwa',
  'auditResult.okScoped': 'Tidak ada selisih dalam yang diperiksa.',
  'auditResult.noScope': 'Laporan ini tidak menyebut cakupannya (dibuat oleh versi lama saksi audit).',
  'auditResult.scope': 'Diperiksa: daun {from}–{to} dari {size}.',
  'auditResult.chainChecked': 'Dibandingkan dengan blockchain (rantai {chain}) sampai blok {block}.',
  'auditResult.chainSkipped': 'Blockchain TIDAK diperiksa (--no-chain): jangkar tidak dibandingkan.',
  'auditResult.notChecked': 'Tidak diperiksa: {list}.',
  'auditResult.part.registry': 'registri instansi di blockchain',
  'auditResult.part.signatures': 'tanda tangan',
  'auditResult.incrementalWhole': 'Inkremental diminta, tetapi seluruh log diaudit (belum ada batas halaman {n} daun yang sudah bersih).',
  'auditResult.incrementalFrom': 'Inkremental: hanya daun mulai #{n}; yang sebelumnya sudah diperiksa audit bersih sebelumnya.',
  'service.ktp': 'KTP-el',
  'service.sim': 'SIM',
  'service.paspor': 'Paspor',
  'service.pengaduan': 'Pengaduan',

  'event.application.submitted': 'Permohonan diterima',
  'event.documents.verified': 'Dokumen diverifikasi',
  'event.biometrics.recorded': 'Biometrik direkam',
  'event.payment.received': 'Pembayaran diterima',
  'event.interview.completed': 'Wawancara selesai',
  'event.health.checked': 'Pemeriksaan kesehatan',
  'event.psychology.passed': 'Tes psikologi lulus',
  'event.exam.theory_passed': 'Ujian teori lulus',
  'event.exam.practice_passed': 'Ujian praktik lulus',
  'event.exam.practice_failed': 'Ujian praktik tidak lulus',
  'event.application.approved': 'Permohonan disetujui',
  'event.application.rejected': 'Permohonan ditolak',
  'event.application.withdrawn': 'Permohonan dibatalkan',
  'event.document.printed': 'Dokumen dicetak',
  'event.document.issued': 'Dokumen diserahkan',
  'event.complaint.filed': 'Pengaduan diajukan',
  'event.complaint.answered': 'Pengaduan ditanggapi',
  'event.complaint.resolved': 'Pengaduan selesai',
  'event.case.closed': 'Perkara ditutup',
  'event.erasure.payload': 'Data pribadi dihapus (UU PDP)',
  'event.erasure.personal_data': 'Data pribadi dihapus (UU PDP)',
  'event.other': 'Langkah lain: {what}',
};

const en = {
  'lang.switch': 'Bahasa Indonesia',
  'lang.switchLabel': 'Ganti bahasa ke Bahasa Indonesia',
  'skip': 'Skip to content',
  'brand.tagline': 'Public service records you can check yourself',
  'nav.citizen': 'Check a case',
  'nav.audit': 'Auditor dashboard',
  'loading': 'Loading…',

  'citizen.title': 'Check the history of your application',
  'citizen.intro': 'Enter the case reference and access code printed on your receipt, or scan its QR code.',
  'citizen.privacy':
    'When you check a case, your access code stays on this device: your browser computes the case identifier and checks every signature and proof itself. Only if you file a complaint are the case reference and access code sent to the server (in the request body), to prove that you hold the case.',
  'form.ref': 'Case reference',
  'form.refHint': 'For example: KTP-JKS-2026-000123',
  'form.code': 'Access code',
  'form.codeHint': '53 letters and digits in groups of four (older codes: 52). Upper or lower case and dashes do not matter.',
  'form.submit': 'Check',
  'form.checking': 'Checking…',
  'err.ref': 'Invalid case reference: use letters, digits and dashes (at most 64).',
  'err.code': 'Invalid access code: check its 53 characters again (A–Z and 2–7).',
  'err.codeCheck': 'Check the code: one character is mistyped (the last, check character does not match). Compare it with the receipt again.',
  'err.codeMissing': 'This link has the case reference but no access code. Enter the access code printed on your receipt.',
  'err.notFound':
    'No case found. Check the reference and the access code: both must be exactly as on the receipt. If the application was just made, try again in a moment.',
  'err.rate': 'Too many requests. Please try again shortly.',
  'err.network': 'The Saksi server cannot be reached. Check your connection.',
  'err.server': 'The server answered with an error ({status}).',
  'err.malformed': 'The server sent data that does not follow the Saksi formats: {detail}',

  'verdict.ok.title': 'Verified',
  'verdict.ok.text':
    'Every check passed. This history was signed by the agencies, is recorded in the Saksi log, and that log is locked on the blockchain.',
  'verdict.partial.title': 'Partly verified',
  'verdict.partial.text': 'Nothing wrong was found, but some checks could not be done yet. See the details below.',
  'verdict.fail.title': 'Problem found',
  'verdict.fail.text': 'At least one check failed: this data may have been altered. Download the proof bundle and file a complaint.',

  'status.ok': 'Passed',
  'status.fail': 'Failed',
  'status.warn': 'Attention',
  'status.pending': 'Pending',
  'status.skip': 'Not checked',

  'checks.heading': 'What your browser checked',
  'check.commitment.title': 'Your case',
  'check.commitment.ok': 'This browser found your case from its reference and access code without sending the code; the server holds {count} steps for it.',
  'check.commitment.how': 'Case identifier = HMAC-SHA256(access code, case reference), computed in this browser.',
  'check.commitment.fail': 'The server sent events of another case (step {steps}).',
  'check.signature.title': 'Agency signatures',
  'check.signature.ok': 'Every step ({count}) was signed by its own agency, with the official key registered for that agency.',
  'check.signature.how': 'The EIP-712 signature of every event, compared with the agency key registry (/v1/agencies).',
  'check.signature.fail': 'Signatures do not match the content or the registered keys:',
  'check.signature.warn': 'The signatures are intact, but their keys cannot be confirmed here:',
  'sig.content-changed':
    'Step {caseSeq} ({eventId}): its content was changed after it was signed. The signature now points to {recovered}, not to the agency key {expected}.',
  'sig.not-registered-signer': 'Step {caseSeq} ({eventId}): signed by {recovered}, not the registered key of {agency} ({expected}).',
  'sig.unknown-agency': 'Step {caseSeq} ({eventId}): agency {agency} is not in the registry.',
  'sig.malformed': 'Step {caseSeq} ({eventId}): the signature is malformed.',
  'sig.unrecoverable': 'Step {caseSeq} ({eventId}): the signature points to no key at all.',
  'sig.not-canonical': 'Step {caseSeq} ({eventId}): the signature is not in its canonical form.',
  'sig.earlier-key':
    'Step {caseSeq} ({eventId}): signed with an earlier key of {agency} ({recovered}). The registry lists only the current key, so the earlier one cannot be confirmed here.',
  'sig.agency-revoked': 'Step {caseSeq} ({eventId}): agency {agency} has been revoked and its key is no longer listed.',
  'check.chain.title': 'Order of the history',
  'check.chain.ok': 'Steps 1 to {count} are in order and linked together: none is missing, inserted or swapped.',
  'check.chain.how': 'Each step holds the hash of the one before it; the last step is compared with the case head the server reports.',
  'chain.missing': 'Step {caseSeq} is missing from the history.',
  'chain.link': 'Step {caseSeq} ({eventId}) does not link to the step before it.',
  'chain.head': 'The last step does not match the case head the server reports.',
  'check.leaf.title': 'Log records',
  'check.leaf.ok': 'Every step is recorded in the Saksi log exactly as it was signed, with the time it was received.',
  'check.leaf.how': 'The log record (leaf) was recomputed from the content, signature and time of receipt, and compared with the one kept in the log.',
  'check.leaf.fail': 'The log record does not match the content for step {steps}.',
  'check.inclusion.title': 'Inclusion proofs',
  'check.inclusion.ok': 'Every step is proven to be part of the public Saksi log, which is the same for everyone.',
  'check.inclusion.how': "Each event's Merkle proof leads to the checkpoint root (log size {treeSize}).",
  'check.inclusion.warn':
    '{covered} events are proven to be in the checkpoint (log size {treeSize}). {pending} newer events are not in an anchored checkpoint yet; check again later.',
  'check.inclusion.pending': 'These events are not in a checkpoint anchored on the blockchain yet. This usually takes a few minutes; check again later.',
  'check.inclusion.fail': 'Inclusion proofs failed:',
  'incl.proof': 'Step {caseSeq} ({eventId}): the proof does not lead to the checkpoint root.',
  'incl.no-proof': 'Step {caseSeq} ({eventId}): the server gave no proof.',
  'incl.two-versions': 'Step {caseSeq} ({eventId}): the server gave two different versions of this event.',
  'check.checkpoint.title': 'Checkpoint',
  'check.checkpoint.ok': 'The log summary (checkpoint) is valid and belongs to this Saksi service.',
  'check.checkpoint.how': 'Checkpoint of log size {treeSize}, origin {origin}.',
  'check.checkpoint.pending': 'No anchored checkpoint yet.',
  'cp.origin': 'The checkpoint names {origin}, not {expectedOrigin}.',
  'cp.two-checkpoints': 'The server gave two different checkpoints.',
  'cp.anchor-domain': 'The anchor transaction names another chain or contract.',
  'cp.malformed': 'The checkpoint or bundle is malformed: {detail}',
  'check.anchor.title': 'Blockchain',
  'check.anchor.ok':
    'This browser made sure itself, on the blockchain ({rpc}), that the log summary is locked there: this history cannot be changed any more without it showing.',
  'check.anchor.okSelf':
    'The log summary matches this server’s own embedded chain ({rpc}). An embedded chain is for trying Saksi out: this check is no more independent than the server itself. In a real deployment the browser reads a public chain directly.',
  'check.anchor.how': 'The contract’s rootAt({treeSize}) was read via {rpc} and compared with the checkpoint root.',
  'check.anchor.skip':
    'This server offers no public RPC address, so the browser did not read the blockchain itself. According to the server, the checkpoint was anchored in transaction {txHash} (block {blockNumber}, chain {chainId}). Look that transaction up in a block explorer, or download the proof bundle and run “saksi verify --rpc URL”.',
  'check.anchor.skipNoTx': 'This server offers no public RPC address, so the browser did not read the blockchain itself.',
  'check.anchor.pending': 'Waiting for the first checkpoint to be anchored on the blockchain.',
  'anchor.root-differs': 'The blockchain holds another root for log size {treeSize}: {chainRoot}.',
  'anchor.not-anchored': 'The contract has no root for log size {treeSize}.',
  'anchor.wrong-chain': 'The RPC address serves another chain: {detail}',
  'anchor.chain-error': 'Reading the blockchain failed: {detail}',
  'anchor.unreachable': 'The blockchain cannot be reached ({detail}). Try again later.',

  'case.heading': 'Case {ref}',
  'case.agency': 'Agency',
  'case.status': 'Latest status',
  'case.started': 'Started',
  'case.updated': 'Last update',
  'case.steps': 'Steps',
  'case.elapsed': 'Time taken',
  'timeline.heading': 'Timeline',
  'timeline.step': 'Step {n}',
  'timeline.after': '{duration} after the previous step',
  'timeline.recorded': 'Recorded by Saksi {date}',
  'timeline.sig': 'Signature',
  'timeline.log': 'Log',
  'timeline.proof': 'Proof',
  'timeline.anchored': 'Anchored on the blockchain',
  'timeline.pending': 'Waiting for a checkpoint',
  'details': 'Technical details',
  'detail.commitment': 'Case identifier',
  'detail.eventHash': 'Event hash',
  'detail.signer': 'Signer',
  'detail.leafIndex': 'Leaf index',
  'detail.leafHash': 'Leaf hash',
  'detail.root': 'Checkpoint root',
  'detail.treeSize': 'Log size',
  'detail.tx': 'Transaction',
  'detail.block': 'Block',
  'detail.how': 'How it was checked',

  'actions.heading': 'Keep and follow up',
  'actions.download': 'Download the proof bundle (JSON)',
  'actions.downloadHint': 'Anyone can check this file without the Saksi server: saksi verify bundle.json',
  'actions.downloadUnavailable': "The proof bundle is available once this case's events are in a checkpoint anchored on the blockchain.",
  'actions.print': 'Print a receipt with a QR code',
  'actions.complain': 'File a complaint',

  'receipt.title': 'Saksi receipt',
  'receipt.complaintTitle': 'Saksi complaint receipt',
  'receipt.keep': "Keep this access code safe. Anyone holding it can see this case's history.",
  'receipt.scan': 'Scan the QR code to open and check this case.',
  'receipt.printed': 'Printed {date}',
  'receipt.link': 'Link',

  'complaint.heading': 'File a complaint',
  'complaint.intro':
    'Your complaint is recorded as a new case, signed by the complaints desk and passed on to the agency. To prove that you hold this case, the reference and access code are sent to the server (in the request body, never in an address).',
  'complaint.category': 'Kind of complaint',
  'complaint.message': 'Message',
  'complaint.messageHint': 'Do not include personal data you do not need to. At most 2000 characters.',
  'complaint.count': '{n} / 2000',
  'complaint.submit': 'Send the complaint',
  'complaint.sending': 'Sending…',
  'complaint.cancel': 'Cancel',
  'complaint.done': 'Complaint received',
  'complaint.doneText': 'Follow your complaint with this new case reference and access code. Keep or print them now: the access code cannot be shown again.',
  'complaint.open': 'Open this complaint',
  'complaint.print': 'Print the complaint receipt',
  'complaint.err.empty': 'Write the message of your complaint.',
  'complaint.err.404': 'No such case.',
  'complaint.err.429': 'Too many complaints from this address. Try again later.',
  'complaint.err.503': 'The complaints desk is not available on this server yet.',
  'complaint.err.422': 'The complaint is not valid: {detail}',
  'complaint.err.other': 'The complaint could not be sent ({status}).',
  'category.general': 'General',
  'category.delay': 'Delay',
  'category.fee': 'Fees or charges',
  'category.conduct': 'Staff conduct',
  'category.data': 'Wrong data',
  'category.other': 'Other',

  'about.heading': 'How this works',
  'about.text':
    'Each agency signs every step of a service with its key. Saksi records the step in a log that can only grow, and regularly locks a summary of the log (a checkpoint) on the blockchain. This page checks all three in your browser. For a check fully independent of this server, download the proof bundle and check it with another tool.',

  'duration.day': '{n} d',
  'duration.hour': '{n} h',
  'duration.minute': '{n} min',
  'duration.lessThanMinute': 'under a minute',

  'audit.title': 'Auditor dashboard',
  'audit.intro':
    'Service statistics computed from the signed events in the Saksi log. For a full audit, run “saksi audit”: it recomputes the whole log and compares it with the blockchain.',
  'audit.summary': 'Summary',
  'audit.updated': 'Updated {time}',
  'audit.refresh': 'Refresh',
  'audit.error': 'The statistics could not be loaded ({detail}).',
  'tile.treeSize': 'Log size',
  'tile.anchoredSize': 'Anchored on chain',
  'tile.unanchored': 'Not yet anchored',
  'tile.lag': 'Anchoring lag',
  'tile.cases': 'Cases',
  'tile.complaintsOpen': 'Open complaints',
  'unit.leaves': 'leaves',
  'unit.seconds': '{n} s',
  'note.statsAsOf': 'as of log size {n}',
  'chart.volumes': 'Events per day',
  'chart.by': 'Group by',
  'chart.byService': 'Service',
  'chart.byOffice': 'Office',
  'chart.completion': 'Time to completion per service (days)',
  'chart.completionNote': 'From the first step until the document was issued, the application rejected or the case closed.',
  'chart.median': 'Median',
  'chart.p90': '90th percentile',
  'chart.cases': '{n} cases',
  'chart.complaints': 'Complaints',
  'chart.open': 'Open',
  'chart.resolved': 'Resolved',
  'chart.anchoring': 'Log size and anchoring',
  'chart.anchoringNote': 'Sampled every {n} seconds since this page was opened.',
  'chart.treeSize': 'Log size',
  'chart.anchored': 'Anchored',
  'chart.lag': 'Anchoring lag (seconds)',
  'chart.noData': 'No data yet.',
  'chart.table': 'Show the data',
  'chart.day': 'Day',
  'chart.time': 'Time',
  'checkpoint.heading': 'Latest checkpoint',
  'checkpoint.none': 'No checkpoint yet.',
  'checkpoint.status': 'Status',
  'checkpoint.notAnchored': 'not anchored yet',
  'anchorStatus.pending': 'waiting to be mined',
  'anchorStatus.mined': 'mined, waiting for confirmations',
  'anchorStatus.confirmed': 'locked on the blockchain',
  'anchorStatus.dropped': 'transaction lost, being resent',
  'auditResult.heading': 'Latest audit result',
  'auditResult.notRun': 'Not run yet.',
  'auditResult.hint': 'Run “saksi audit --data-dir DIR” to recompute the whole log and compare it with the blockchain.',
  'auditResult.ok': 'No discrepancies.',
  'auditResult.discrepancies': '{n} discrepancies found',
  'auditResult.ranAt': 'Run {time}',
  'auditResult.kind': 'Kind',
  'auditResult.where': 'Event',
  'auditResult.okScoped': 'No discrepancies in what was checked.',
  'auditResult.noScope': 'This report does not state its scope (made by an older saksi audit).',
  'auditResult.scope': 'Checked: leaves {from}–{to} of {size}.',
  'auditResult.chainChecked': 'Compared with the blockchain (chain {chain}) up to block {block}.',
  'auditResult.chainSkipped': 'The blockchain was NOT checked (--no-chain): anchors were not compared.',
  'auditResult.notChecked': 'Not checked: {list}.',
  'auditResult.part.registry': 'the agency registry on chain',
  'auditResult.part.signatures': 'signatures',
  'auditResult.incrementalWhole': 'Incremental was asked for, but the whole log was audited (no clean {n}-leaf page boundary yet).',
  'auditResult.incrementalFrom': 'Incremental: only leaves from #{n}; those before were checked by an earlier clean audit.',
  'service.ktp': 'ID card (KTP-el)',
  'service.sim': "Driver's licence (SIM)",
  'service.paspor': 'Passport',
  'service.pengaduan': 'Complaints',

  'event.application.submitted': 'Application received',
  'event.documents.verified': 'Documents verified',
  'event.biometrics.recorded': 'Biometrics recorded',
  'event.payment.received': 'Payment received',
  'event.interview.completed': 'Interview completed',
  'event.health.checked': 'Health check',
  'event.psychology.passed': 'Psychology test passed',
  'event.exam.theory_passed': 'Theory exam passed',
  'event.exam.practice_passed': 'Practical exam passed',
  'event.exam.practice_failed': 'Practical exam failed',
  'event.application.approved': 'Application approved',
  'event.application.rejected': 'Application rejected',
  'event.application.withdrawn': 'Application withdrawn',
  'event.document.printed': 'Document printed',
  'event.document.issued': 'Document issued',
  'event.complaint.filed': 'Complaint filed',
  'event.complaint.answered': 'Complaint answered',
  'event.complaint.resolved': 'Complaint resolved',
  'event.case.closed': 'Case closed',
  'event.erasure.payload': 'Personal data erased (PDP law)',
  'event.erasure.personal_data': 'Personal data erased (PDP law)',
  'event.other': 'Other step: {what}',
};

export const DICTIONARY = { id, en };

const STORAGE_KEY = 'saksi.lang';
let current = 'id';

export function initialLang() {
  try {
    const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (LANGS.includes(stored)) return stored;
  } catch {
    /* storage may be disabled */
  }
  return 'id';
}

export function setLang(lang) {
  current = LANGS.includes(lang) ? lang : 'id';
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, current);
  } catch {
    /* storage may be disabled */
  }
  if (globalThis.document) {
    document.documentElement.lang = current;
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
    for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  return current;
}

export const lang = () => current;
export const locale = () => (current === 'id' ? 'id-ID' : 'en-GB');

export function has(key) {
  return key in DICTIONARY[current] || key in id;
}

export function t(key, params = {}) {
  const template = DICTIONARY[current][key] ?? id[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** An event type in words: its label, or for a type this page does not know (an agency's own), its
 *  words spelled out ("permit.stamp_renewed" → "Other step: permit, stamp renewed"), never the raw code. */
export function eventLabel(eventType) {
  if (has(`event.${eventType}`)) return t(`event.${eventType}`);
  const what = String(eventType).split('.').map((part) => part.replaceAll('_', ' ')).join(', ');
  return t('event.other', { what });
}
export const serviceLabel = (service) => (has(`service.${service}`) ? t(`service.${service}`) : service);

/** "2 hari 3 jam" / "2 d 3 h": the two largest units. */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return t('duration.lessThanMinute');
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [];
  if (d) parts.push(t('duration.day', { n: d }));
  if (h) parts.push(t('duration.hour', { n: h }));
  if (!d && m) parts.push(t('duration.minute', { n: m }));
  return parts.slice(0, 2).join(' ');
}

export function formatDate(ms) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(Number(ms)));
}

export function formatNumber(n) {
  return new Intl.NumberFormat(locale()).format(Number(n));
}
