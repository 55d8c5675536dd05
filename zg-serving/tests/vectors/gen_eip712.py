#!/usr/bin/env python3
"""Generates eip712_vectors.json: settlement digests and signatures computed by eth-account.

An independent implementation (eth-account / eth-keys / eth-abi, pinned in requirements.txt)
checks zg-serving's EIP-712 and EIP-191 code. Run:

    python3 -m venv /tmp/ethvenv && /tmp/ethvenv/bin/pip install -r requirements.txt
    /tmp/ethvenv/bin/python gen_eip712.py > eip712_vectors.json

The Rust test `tests/vectors.rs` always runs on the committed JSON; Python is not needed there.
"""
import json
import random

from eth_abi.packed import encode_packed
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data, _hash_eip191_message
from eth_utils import keccak, to_checksum_address

SEED = 0x0C0FFEE
N_EIP712 = 64
N_EIP191 = 32
N_PERSONAL = 16

rng = random.Random(SEED)


def rand_key():
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    while True:
        k = rng.getrandbits(256)
        if 0 < k < n:
            return k.to_bytes(32, "big")


def rand_address():
    return to_checksum_address(rng.getrandbits(160).to_bytes(20, "big"))


def rand_uint(bits):
    # Mix small, boundary and full-width values.
    choice = rng.random()
    if choice < 0.15:
        return rng.randrange(0, 1000)
    if choice < 0.25:
        return (1 << bits) - 1
    return rng.getrandbits(bits)


def typed(chain_id, contract, requests_hash, nonce, provider, user, total_fee):
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "TEESettlement": [
                {"name": "requestsHash", "type": "bytes32"},
                {"name": "nonce", "type": "uint256"},
                {"name": "provider", "type": "address"},
                {"name": "user", "type": "address"},
                {"name": "totalFee", "type": "uint256"},
            ],
        },
        "primaryType": "TEESettlement",
        "domain": {
            "name": "0G Inference Serving",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": contract,
        },
        "message": {
            "requestsHash": requests_hash,
            "nonce": nonce,
            "provider": provider,
            "user": user,
            "totalFee": total_fee,
        },
    }


def sig_fields(signed):
    return "0x" + bytes(signed.signature).hex()


out = {
    "generator": "gen_eip712.py with eth-account==0.14.0, seed %#x" % SEED,
    "eip712": [],
    "eip191_settlement": [],
    "personal_sign": [],
}

chain_ids = [16600, 16601, 16661, 1, 0, (1 << 256) - 1]
for i in range(N_EIP712):
    key = rand_key()
    acct = Account.from_key(key)
    chain_id = chain_ids[i] if i < len(chain_ids) else rand_uint(64)
    contract = rand_address()
    requests_hash = rng.getrandbits(256).to_bytes(32, "big")
    nonce = rand_uint(256)
    provider = rand_address() if i % 3 else acct.address
    user = rand_address()
    total_fee = rand_uint(128)
    signable = encode_typed_data(
        full_message=typed(chain_id, contract, requests_hash, nonce, provider, user, total_fee)
    )
    digest = _hash_eip191_message(signable)
    signed = Account.sign_message(signable, key)
    recovered = Account.recover_message(signable, signature=signed.signature)
    assert recovered == acct.address
    out["eip712"].append(
        {
            "key": "0x" + key.hex(),
            "address": acct.address,
            "chain_id": str(chain_id),
            "verifying_contract": contract,
            "requests_hash": "0x" + requests_hash.hex(),
            "nonce": str(nonce),
            "provider": provider,
            "user": user,
            "total_fee": str(total_fee),
            "domain_separator": "0x" + bytes(signable.header).hex(),
            "struct_hash": "0x" + bytes(signable.body).hex(),
            "digest": "0x" + digest.hex(),
            "signature": sig_fields(signed),
        }
    )

for i in range(N_EIP191):
    key = rand_key()
    acct = Account.from_key(key)
    requests_hash = rng.getrandbits(256).to_bytes(32, "big")
    nonce = rand_uint(256)
    provider = rand_address()
    user = rand_address()
    total_fee = rand_uint(128)
    packed = encode_packed(
        ["bytes32", "uint256", "address", "address", "uint256"],
        [requests_hash, nonce, provider, user, total_fee],
    )
    message_hash = keccak(packed)
    signable = encode_defunct(primitive=message_hash)
    digest = _hash_eip191_message(signable)
    signed = Account.sign_message(signable, key)
    assert Account.recover_message(signable, signature=signed.signature) == acct.address
    out["eip191_settlement"].append(
        {
            "key": "0x" + key.hex(),
            "address": acct.address,
            "requests_hash": "0x" + requests_hash.hex(),
            "nonce": str(nonce),
            "provider": provider,
            "user": user,
            "total_fee": str(total_fee),
            "packed_hash": "0x" + message_hash.hex(),
            "digest": "0x" + digest.hex(),
            "signature": sig_fields(signed),
        }
    )

for i in range(N_PERSONAL):
    key = rand_key()
    acct = Account.from_key(key)
    length = rng.choice([0, 1, 31, 32, 33, 100, 255])
    message = bytes(rng.getrandbits(8) for _ in range(length))
    signable = encode_defunct(primitive=message)
    digest = _hash_eip191_message(signable)
    signed = Account.sign_message(signable, key)
    assert Account.recover_message(signable, signature=signed.signature) == acct.address
    out["personal_sign"].append(
        {
            "key": "0x" + key.hex(),
            "address": acct.address,
            "message": "0x" + message.hex(),
            "digest": "0x" + digest.hex(),
            "signature": sig_fields(signed),
        }
    )

print(json.dumps(out, indent=1))
