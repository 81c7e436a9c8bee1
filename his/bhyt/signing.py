"""The facility's signature (CHUKYDONVI): enveloped XML-DSig, RSA-SHA256, with the X.509 certificate embedded.

The signature covers the whole document (Reference URI=""), so any change to any signed byte fails verification.
Verification uses the embedded certificate; given a trusted certificate, the embedded one must be that certificate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree  # type: ignore[import-untyped]
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import SignXMLException
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier

from his.bhyt.xml import DSIG_NS, SIGNATURE_HOLDER, serialize


@dataclass(frozen=True)
class SigningCredentials:
    private_key_pem: bytes
    certificate_pem: bytes
    password: bytes | None = None


@dataclass(frozen=True)
class SignatureCheck:
    verified: bool
    reason: str | None = None  # English, why it did not verify
    signer: str | None = None  # the certificate's subject


def _signer() -> XMLSigner:
    return XMLSigner(
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        # Inclusive C14N 1.0: the canonicalization every XML-DSig library implements.
        c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
    )


def sign(root: etree._Element, credentials: SigningCredentials) -> bytes:
    """Sign a document that holds a CHUKYDONVI/ds:Signature placeholder; the serialized signed document."""
    key = serialization.load_pem_private_key(credentials.private_key_pem, password=credentials.password)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the facility key must be an RSA private key")
    certificate = x509.load_pem_x509_certificate(credentials.certificate_pem)
    signed = _signer().sign(root, key=key, cert=[certificate])
    return serialize(signed)


def embedded_certificate(root: etree._Element) -> x509.Certificate | None:
    text = root.findtext(
        f"{SIGNATURE_HOLDER}/{{{DSIG_NS}}}Signature/{{{DSIG_NS}}}KeyInfo//{{{DSIG_NS}}}X509Certificate"
    )
    if not text:
        return None
    pem = "-----BEGIN CERTIFICATE-----\n" + "".join(text.split()) + "\n-----END CERTIFICATE-----\n"
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except ValueError:
        return None


def verify(
    data: bytes, root: etree._Element, *, trusted_certificate_pem: bytes | None = None, at: datetime | None = None
) -> SignatureCheck:
    """Check the CHUKYDONVI signature of ``data`` (``root`` is the same document, parsed)."""
    if root.find(f"{SIGNATURE_HOLDER}/{{{DSIG_NS}}}Signature") is None:
        return SignatureCheck(False, "no signature in CHUKYDONVI")
    certificate = embedded_certificate(root)
    if certificate is None:
        return SignatureCheck(False, "no readable X509Certificate in the signature")
    signer = certificate.subject.rfc4514_string()
    if trusted_certificate_pem is not None:
        trusted = x509.load_pem_x509_certificate(trusted_certificate_pem)
        if trusted.public_bytes(serialization.Encoding.DER) != certificate.public_bytes(serialization.Encoding.DER):
            return SignatureCheck(False, "signed with another certificate than the trusted one", signer)
    config = SignatureConfiguration(
        location=f"./{SIGNATURE_HOLDER}/",
        expect_references=1,
        signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
        verification_time=at,
    )
    try:
        XMLVerifier().verify(data, x509_cert=certificate, expect_config=config)
    except (SignXMLException, etree.LxmlError, ValueError) as error:
        # A wrong digest or value, and a signature that breaks the XML-DSig schema, alike: it does not verify.
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return SignatureCheck(False, reason, signer)
    return SignatureCheck(True, None, signer)


def facility_certificate(
    *, facility_code: str, facility_name: str, now: datetime, days: int = 730, key_size: int = 3072
) -> SigningCredentials:
    """A new RSA key and a self-signed certificate naming the facility (demo and tests; a hospital uses its CA's)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, facility_name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{facility_name} ({facility_code})"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, facility_code),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return SigningCredentials(
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
    )


def write_credentials(credentials: SigningCredentials, *, key_path: Path, cert_path: Path) -> None:
    """Writes the pair as PEM files; the private key is readable by its owner only from the moment it exists."""
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(credentials.private_key_pem)
    cert_path.write_bytes(credentials.certificate_pem)
