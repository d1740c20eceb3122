use super::*;

#[test]
fn floats_format_like_go() {
    assert_eq!(format_float(2.5), "2.5");
    assert_eq!(format_float(1.0), "1");
    assert_eq!(format_float(1e6), "1e+06");
    assert_eq!(format_float(123456.0), "123456");
    assert_eq!(format_float(0.0001), "0.0001");
    assert_eq!(format_float(0.00001), "1e-05");
    assert_eq!(format_float(-1.5e-7), "-1.5e-07");
    assert_eq!(format_float(1e21), "1e+21");
    assert_eq!(format_float32(0.3), "0.3");
    assert_eq!(format_float32(0.1), "0.1");
}

#[test]
fn durations_round_trip_like_go() {
    assert_eq!(parse_duration("1m30s"), Ok(90_000_000_000));
    assert_eq!(parse_duration("0"), Ok(0));
    assert_eq!(parse_duration("1.5h"), Ok(5_400_000_000_000));
    assert_eq!(
        parse_duration("10"),
        Err("time: missing unit in duration \"10\"".into())
    );
    assert_eq!(
        parse_duration("1d"),
        Err("time: unknown unit \"d\" in duration \"1d\"".into())
    );
    assert_eq!(
        parse_duration(""),
        Err("time: invalid duration \"\"".into())
    );
    assert_eq!(parse_duration("-1s"), Ok(-1_000_000_000));
    assert_eq!(duration_string(90_000_000_000), "1m30s");
    assert_eq!(duration_string(60_000_000_000), "1m0s");
    assert_eq!(duration_string(3_600_000_000_000), "1h0m0s");
    assert_eq!(duration_string(120_000_000_000), "2m0s");
    assert_eq!(duration_string(1_500_000), "1.5ms");
    assert_eq!(duration_string(1_500), "1.5µs");
    assert_eq!(duration_string(0), "0s");
    assert_eq!(duration_string(10_000_000_000), "10s");
    assert_eq!(duration_string(-1_500_000_000), "-1.5s");
}

#[test]
fn atoi_and_parse_float_errors() {
    assert_eq!(atoi("12"), Ok(12));
    assert_eq!(atoi("-3"), Ok(-3));
    assert_eq!(
        atoi("abc"),
        Err("strconv.Atoi: parsing \"abc\": invalid syntax".into())
    );
    assert_eq!(
        atoi("99999999999999999999"),
        Err("strconv.Atoi: parsing \"99999999999999999999\": value out of range".into())
    );
    assert_eq!(parse_float("0.5"), Ok(0.5));
    assert_eq!(
        parse_float("x"),
        Err("strconv.ParseFloat: parsing \"x\": invalid syntax".into())
    );
}

#[test]
fn quote_like_go() {
    assert_eq!(go_quote("a\"b\n"), "\"a\\\"b\\n\"");
    assert_eq!(go_quote("é"), "\"é\"");
}
