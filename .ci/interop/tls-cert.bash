# Sourced by the interop scripts (not run on its own, hence not `*.sh`): a throwaway
# certificate authority and a server certificate it signed, for 127.0.0.1 and localhost.
#
# `make_tls_cert DIR` writes DIR/ca.pem (the authority, which clients trust through their
# CA-file option), DIR/cert.pem and DIR/key.pem (the server's, for a peer such as Dovecot
# or Postfix). The server certificate is not a CA (rustls refuses a CA certificate as a
# server's), names 127.0.0.1 as an IP address and localhost, and is valid for two days.
make_tls_cert() {
    local dir=$1
    mkdir -p "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=throwaway-ca \
        -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
        -keyout "$dir/key.pem" -out "$dir/cert.csr" 2>/dev/null
    printf '%s\n' 'subjectAltName = IP:127.0.0.1, DNS:localhost' \
        'basicConstraints = critical, CA:FALSE' 'extendedKeyUsage = serverAuth' >"$dir/ext.cnf"
    openssl x509 -req -days 2 -in "$dir/cert.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
        -CAcreateserial -extfile "$dir/ext.cnf" -out "$dir/cert.pem" 2>/dev/null
    # Read by servers that drop root before loading it.
    chmod 644 "$dir/key.pem"
}
