import pytest

from jobclass.labels import FAMILIES, LEVELS, family_of, level_of


@pytest.mark.parametrize("title, family", [
    ("Senior Data Scientist", "data_science"),
    ("Machine Learning Engineer", "data_science"),  # ML first: not software engineering
    ("Data Science Manager", "data_science"),
    ("Business Intelligence Analyst", "data_analysis"),
    ("Sr. Data Analyst", "data_analysis"),
    ("Staff Software Engineer, Backend", "software_engineering"),
    ("DevOps Engineer", "software_engineering"),
    ("Registered Nurse", "other"),
    ("Account Executive", "other"),
])
def test_titles_map_to_families(title, family):
    assert family_of(title) == family and family in FAMILIES


@pytest.mark.parametrize("title, level", [
    ("Data Science Intern", "intern_entry"),
    ("Junior Developer", "intern_entry"),
    ("Software Engineer", "mid"),
    ("Sr. Data Analyst", "senior"),
    ("Lead Data Engineer", "senior"),
    ("Principal Software Engineer", "staff_principal"),
    ("Director of Engineering", "manager_director"),
    ("Senior Engineering Manager", "manager_director"),  # the role outranks the adjective
])
def test_titles_map_to_levels(title, level):
    assert level_of(title) == level and level in LEVELS
