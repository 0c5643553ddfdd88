//! SASL mechanisms as sans-IO exchanges.
