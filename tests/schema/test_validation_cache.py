from strawberry.extensions.validation_cache import _get_validate_cache

from tests.conftest import GraphQLClient


def test_a_repeated_document_is_validated_once(as_alice: GraphQLClient) -> None:
    """Validation is a fifth of a cached balance request; the limiters must not defeat its cache."""
    query = "query RepeatedForCache { balance { total } me { id } }"
    as_alice.data(query)
    before = _get_validate_cache(256).cache_info()
    for _ in range(3):
        as_alice.data(query)
    after = _get_validate_cache(256).cache_info()
    assert after.hits - before.hits == 3
    assert after.misses == before.misses
