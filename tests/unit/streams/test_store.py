from streams.storage.keys import StateKeys


def test_customer_keys_carry_a_cluster_hash_tag():
    keys = StateKeys("cw")
    key = keys.customer("C9")
    assert key == "cw:c:{C9}"
    assert keys.customer_id_of(key.encode()) == "C9"
