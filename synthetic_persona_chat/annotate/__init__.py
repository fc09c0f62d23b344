"""Human evaluation in the browser: the paper's Turing test and quality ratings as a study (`spc annotate`).

    config.py     StudyConfig: tasks, items per annotator, overlap, seed, shown metadata
    items.py      which conversations are judged: balanced real/synthetic pairs, recorded left/right, assignment
    store.py      the study's SQLite file: items, hashed invite tokens, queues, answers (one transaction each)
    app.py        the Gradio app (annotation page + admin progress page); gradio is imported only there
    export.py     answers -> the `annotations` config of a `datasets` export (Parquet + card section)
    agreement.py  inter-annotator agreement: Fleiss' kappa and Krippendorff's alpha (nominal)
    results.py    losing rates with 95% intervals, quality win rates, faithfulness, agreement; the report section
    commands.py   `spc annotate create | serve | export | results`

Everything but app.py runs without gradio (the `[annotate]` extra), so the core package stays light.
"""
