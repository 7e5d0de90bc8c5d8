# Shared by bench/ai/*.sh (sourced inside pg_virtualenv, from the repository root): bench/rest's
# database and student (bench/rest/lib.sh), plus, in the student's first course, a material of
# 200 chunks, a profile and preferences; the tutor's request body; a mock provider.
. bench/rest/lib.sh
q "INSERT INTO materials (course_id, name, file_path, file_type, file_size)
   VALUES ('$course', 'Lecture.pdf', '$uid/$course/Lecture.pdf', 'application/pdf', 1000)" >/dev/null
material=$(q "SELECT id FROM materials WHERE course_id = '$course' AND name = 'Lecture.pdf'")
# 200 chunks on 20 topics, ten chunks each; one topic is about photosynthesis's light reactions
# (what the bench asks), so the full-text part ranks ten chunks, not all of them. SB_BENCH_ALL_MATCH=1:
# every chunk mentions it (the worst case for ranking).
q "INSERT INTO material_chunks (material_id, course_id, page, position, content)
   SELECT '$material', '$course', 1 + i / 4, i,
          'Passage ' || i || ': ' || CASE WHEN i % 20 = 0 OR ${SB_BENCH_ALL_MATCH:-0} = 1
            THEN 'photosynthesis converts light energy into chemical energy; the light reactions run in the thylakoid membranes. '
            ELSE (ARRAY['mitosis divides a nucleus', 'enzymes lower activation energy', 'osmosis moves water across membranes',
                        'DNA replication is semi-conservative', 'the Krebs cycle oxidises acetyl groups',
                        'meiosis halves the chromosome number', 'ribosomes translate messenger RNA',
                        'natural selection acts on variation', 'neurons fire action potentials',
                        'the heart pumps blood through two circuits', 'antibodies bind antigens',
                        'ecosystems cycle nutrients', 'hormones signal between organs', 'kidneys filter the blood',
                        'lungs exchange gases in alveoli', 'bacteria reproduce by binary fission',
                        'viruses need a host cell', 'fungi decompose organic matter',
                        'plants take up water through roots'])[i % 20] || '. '
          END || repeat('Further detail on subtopic ' || (i % 17) || ' of this section. ', 20)
   FROM generate_series(0, 199) i" >/dev/null
q "UPDATE material_extractions SET status = 'done', chunks = 200 WHERE material_id = '$material'" >/dev/null  # never re-read
q "INSERT INTO academic (id, grade, semester_type, semester, subject)
   VALUES ('$uid', '{Bachelor}', 'double', 3, '{computer science}')" >/dev/null
q "INSERT INTO personalized (id, prefs)
   VALUES ('$uid', '{\"detail_level\":0.8,\"example_preference\":0.7,\"learning_pace\":\"moderate\"}')" >/dev/null
tutor_body="{\"course_id\":\"$course\",\"message\":\"Where do the light reactions of photosynthesis happen?\"}"
empty_course=$(q "SELECT id FROM courses WHERE id <> '$course' ORDER BY name LIMIT 1")   # its materials have no chunks
empty_body="{\"course_id\":\"$empty_course\",\"message\":\"Where do the light reactions of photosynthesis happen?\"}"
mock_body='{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}'

start_mock() {   # $@ = mock_provider.js arguments; sets mock_url, mock_pid
  node bench/ai/mock_provider.js "$@" >"$work/mock.out" &
  mock_pid=$!
  until grep -qs '^URL: ' "$work/mock.out"; do sleep 0.05; done
  mock_url=$(sed -n 's/^URL: //p' "$work/mock.out")
}
stop_mock() { kill $mock_pid; wait $mock_pid 2>/dev/null || true; : >"$work/mock.out"; }
