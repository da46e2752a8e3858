import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from charlm.copies import code_points, distinct_sorted, window_hashes
from charlm.quality.copies import CopyFinder


def brute_longest(text: str, corpus: str) -> int:
    return max((j - i for i in range(len(text)) for j in range(i + 1, len(text) + 1) if text[i:j] in corpus),
               default=0)


def test_longest_copy_finds_a_known_copy_exactly():
    corpus = "".join(f"filler sentence number {i} about nothing. " for i in range(2000))
    planted = "We are an equal opportunity employer and value diversity at our company, always."
    corpus = corpus[:30000] + "|" + planted + "|" + corpus[30000:]
    index = CopyFinder(corpus)
    assert index.longest_copy("<<" + planted + ">>") == len(planted)
    for text in ["<<Qx zz>>", "sentence number 12 about nothing. filler sentence numb#", "no", ""]:
        assert index.longest_copy(text) == brute_longest(text, corpus), text


@settings(max_examples=400, deadline=None)
@given(corpus=st.text("abcdef<", max_size=300), repeats=st.integers(1, 3), text=st.text("abcdef<z", max_size=60),
       planted=st.tuples(st.integers(0, 299), st.integers(1, 80)), q=st.sampled_from([2, 3, 5]),
       max_places=st.sampled_from([1, 2, 256]))
@example(corpus="fffbdddeaedcbbaddaafabddfecbbeacaddfffbefdaebdbfbcfbaeebbdeaebdbaefbfefefeabddaefadaeafdaebaacdcfdb"
                "ebefcefdedebfdfdbdccbcecbfeafccbccccdcedabbcbbaeeebedfbebeddfbafabfaafdddfbeebfeeabdbcbffdcfbbcfbcd",
         repeats=1, text="cafbffeebzefefeabddaefadaeafdaebaacdcfdbebefcefdedebfdfdbdccbcecbfeafccbccdczf",
         planted=(0, 1), q=2, max_places=2)
def test_longest_copy_is_exact_on_repetitive_corpora(corpus, repeats, text, planted, q, max_places):
    # Short windows over a small alphabet occur many places, so copies mix windows listed by
    # place with boilerplate ones (more than max_places places) that only a scan finds.
    corpus *= repeats
    start, length = planted
    text = text[:10] + corpus[start:start + length] + text[10:]
    index = CopyFinder(corpus, q=q)
    index.MAX_PLACES = max_places
    assert index.longest_copy(text) == brute_longest(text, corpus)



def test_distinct_sorted_is_numpys_unique():
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**63, 50_000, dtype=np.uint64)
    hashes[:20_000] = hashes[25_000:45_000]  # a corpus repeats itself: boilerplate
    assert np.array_equal(distinct_sorted(hashes), np.unique(hashes))
    assert distinct_sorted(np.array([], dtype=np.uint64)).size == 0


def test_a_repeated_window_is_indexed_once():
    text = "equal opportunity employer. " * 4
    hashes = window_hashes(code_points(text), 8)
    assert len(distinct_sorted(hashes)) == len(set(hashes.tolist())) < len(hashes)
