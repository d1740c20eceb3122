use super::*;

#[test]
fn ram_in_bytes_like_go_units() {
    assert_eq!(ram_in_bytes("50M"), Ok(52_428_800));
    assert_eq!(ram_in_bytes("20m"), Ok(20_971_520));
    assert_eq!(ram_in_bytes("1G"), Ok(1_073_741_824));
    assert_eq!(ram_in_bytes("512"), Ok(512));
    assert_eq!(ram_in_bytes("1.5kb"), Ok(1536));
    assert_eq!(ram_in_bytes("2 GiB"), Ok(2_147_483_648));
    assert_eq!(ram_in_bytes("10b"), Ok(10));
    assert_eq!(ram_in_bytes("abc"), Err("invalid size: 'abc'".into()));
    assert_eq!(ram_in_bytes("1x"), Err("invalid suffix: 'x'".into()));
    assert_eq!(ram_in_bytes("1mbb"), Err("invalid suffix: 'mbb'".into()));
}

#[test]
fn cpus_are_exact_rationals() {
    assert_eq!(parse_cpus("0.5"), Ok(500_000_000));
    assert_eq!(parse_cpus("0.001"), Ok(1_000_000));
    assert_eq!(parse_cpus("2"), Ok(2_000_000_000));
    assert_eq!(parse_cpus("1/4"), Ok(250_000_000));
    assert_eq!(parse_cpus("1e-3"), Ok(1_000_000));
    assert_eq!(
        parse_cpus("0.0000000001"),
        Err("value is too precise".into())
    );
    assert_eq!(
        parse_cpus("abc"),
        Err("failed to parse abc as a rational number".into())
    );
    assert_eq!(
        parse_cpus(""),
        Err("failed to parse  as a rational number".into())
    );
}
