"""The words the builder makes in a book's language, in process: where a generated
sentence ends, how a date and a label are written and kept together, how a book's
names become file names."""
from studyguide import labels


def test_first_sentence_goes_past_the_languages_abbreviations():
    """A worksheet's short definition is not cut at a full stop of an abbreviation of
    the book's language ("z. B.", "d. h.", "cf.", "p. ej.", "т. е."), with a space, a
    no-break space or none inside it; English's stay abbreviations in every language."""
    from studyguide.writers.pdf import first_sentence
    de = labels.defaults("de")
    math = '<span class="math inline">9,81 m/s²</span>'
    for z_b in ("z. B.", "z.\u00a0B.", "z.B.", "Z. B."):
        definition = (f"<p>Eine messbare Eigenschaft, geschrieben als Produkt aus Zahlenwert "
                      f"und Einheit, {z_b} {math}. Sie wird gemessen.</p>")
        assert first_sentence(definition, de) == (
            "Eine messbare Eigenschaft, geschrieben als Produkt aus Zahlenwert und "
            f"Einheit, {z_b} {math}."), z_b
    for text in ("Ein Maß, d. h. Eine Größe.", "Kräfte, vgl. Newton.", "Siehe Nr. 4.",
                 "Eine Größe, ca. 5 Newton.", "Gilt u. a. Für Körper.",
                 "Mit bzw. Ohne Reibung.", "Kräfte usw. Und mehr.", "Also approx. Ten."):
        assert first_sentence(f"<p>{text} Dann mehr.</p>", de) == text, text
    fr = labels.defaults("fr")
    for text in ("Une notion, cf. Marx.", "Voir p. 25 du manuel.", "Selon M. Dupont.",
                 "Une loi, env. 1789.", "Des droits, etc. Et des devoirs."):
        assert first_sentence(f"<p>{text} Puis la suite.</p>", fr) == text, text
    es = labels.defaults("es")
    for text in ("Una fuerza, p. ej. La gravedad.", "Según el Sr. García.",
                 "Según la Sra. López."):
        assert first_sentence(f"<p>{text} Luego más.</p>", es) == text, text
    ru = labels.defaults("ru")
    for text in ("Щёлочь, т. е. Основание.", "Всё, т. д. И прочее.", "Подробнее см. Рис. 3."):
        assert first_sentence(f"<p>{text} Затем ещё.</p>", ru) == text, text
    # a word that only ends like one is none, and a language's list is its own
    assert first_sentence("<p>Er reiste nach Afrika. Dann mehr.</p>", de) == \
        "Er reiste nach Afrika."
    assert first_sentence("<p>Ein Maß, z. B. Meter.</p>", labels.defaults("en")) == \
        "Ein Maß, z."


def test_a_books_abbreviations_are_checked(tmp_path):
    from studyguide.errors import Reporter
    path = tmp_path / "book.yaml"
    path.write_text("labels:\n  abbreviations: [Bsp.]\n", encoding="utf-8")
    report = Reporter(tmp_path)
    got = labels.for_book("de", {"abbreviations": ["Bsp."]}, path, 1, report)
    assert got["abbreviations"] == ["Bsp."] and not report.errors
    from studyguide.writers.pdf import first_sentence
    assert first_sentence("<p>Ein Bsp. Für Kräfte. Mehr.</p>", got) == "Ein Bsp. Für Kräfte."
    report = Reporter(tmp_path)
    labels.for_book("de", {"abbreviations": "Bsp."}, path, 1, report)
    assert [e.message for e in report.errors] == \
        ["label 'abbreviations' must be a list of abbreviations (\"z. B.\", \"cf.\")"]


def test_the_first_of_a_month_is_written_as_the_language_writes_it():
    """French writes the first of a month as an ordinal, "1er décembre 2026", "1er mai
    1789" (the edition date, the timeline's events), any other day as a number."""
    fr, de = labels.defaults("fr"), labels.defaults("de")
    assert labels.format_date(fr, "2026-12-01").split() == ["1er", "décembre", "2026"]
    assert labels.format_date(fr, "1789-05-01").split() == ["1er", "mai", "1789"]
    assert labels.format_date(fr, "1789-08-26").split() == ["26", "août", "1789"]
    assert labels.format_date(fr, "1789-05").split() == ["mai", "1789"]
    assert labels.format_date(de, "2026-10-01").split() == ["1.", "Oktober", "2026"]
    assert labels.format_date(labels.defaults("en-US"), "2026-12-01") == "December 1, 2026"
