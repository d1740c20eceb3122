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

#[test]
fn cpus_take_every_form_big_rat_reads() {
    // `docker service create --limit-cpu 1/2` and compose `cpus: 1/2` are the same half CPU
    assert_eq!(parse_cpus("1/2"), Ok(500_000_000));
    assert_eq!(parse_cpus("3/2"), Ok(1_500_000_000));
    assert_eq!(parse_cpus("5e-1"), Ok(500_000_000));
    assert_eq!(parse_cpus(".25"), Ok(250_000_000));
    assert_eq!(parse_cpus("0.000000001"), Ok(1));
    assert_eq!(parse_cpus("1/3"), Err("value is too precise".into()));
    assert_eq!(
        parse_cpus("1/0"),
        Err("failed to parse 1/0 as a rational number".into())
    );
    assert_eq!(
        parse_cpus("1/-2"),
        Err("failed to parse 1/-2 as a rational number".into())
    );
}

#[test]
fn cpus_and_sizes_format_back_to_what_parses_to_them() {
    assert_eq!(format_cpus(500_000_000), "0.5");
    assert_eq!(format_cpus(2_000_000_000), "2");
    assert_eq!(format_cpus(1_250_000_000), "1.25");
    assert_eq!(format_cpus(1), "0.000000001");
    for n in [1, 500_000_000, 1_250_000_000, 64_000_000_000] {
        assert_eq!(parse_cpus(&format_cpus(n)), Ok(n));
    }
    assert_eq!(format_bytes(64 << 20), "64MiB");
    assert_eq!(format_bytes(1536 << 10), "1536KiB");
    assert_eq!(format_bytes(1000), "1000B");
    for n in [1000, 3 << 29, 64 << 20, 5 << 40] {
        assert_eq!(ram_in_bytes(&format_bytes(n)), Ok(n));
    }
}
